/**
 * The contract's problem codes (SPEC.md "Errors"), each with its HTTP status and title.
 * Core code throws `AppError(code)`; the API renders it as problem+json in one place.
 */
export const problemCatalogue = {
  unauthorized: { status: 401, title: "Unauthorized" },
  email_required: { status: 403, title: "Email required" },
  email_not_verified: { status: 403, title: "Email not verified" },
  owner_only: { status: 403, title: "Only the deck's owner may do this" },
  deck_not_found: { status: 404, title: "Deck not found" },
  do_not_found: { status: 404, title: "Do not found" },
  collaborator_exists: { status: 409, title: "Collaborator already added" },
  collaborator_not_found: { status: 404, title: "Collaborator not found" },
  collaborator_limit: { status: 409, title: "Collaborator limit reached" },
  cannot_add_self: { status: 400, title: "Cannot add yourself as a collaborator" },
  no_updates_provided: { status: 400, title: "No updates provided" },
  validation_failed: { status: 422, title: "Validation failed" },
  invalid_json: { status: 400, title: "Malformed JSON body" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  service_unavailable: { status: 503, title: "Service unavailable" },
  internal_error: { status: 500, title: "Internal server error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

export type FieldError = { path: string; message: string };

export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Seconds a client should wait before retrying (503 only). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ProblemCode,
    detail?: string,
    options: { errors?: FieldError[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(detail ?? problemCatalogue[code].title, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = problemCatalogue[code].status;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
