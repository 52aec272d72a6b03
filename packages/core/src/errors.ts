/**
 * The domain's error codes: what went wrong in DoDeck's terms, with no HTTP in sight. The API
 * maps each one (and its own transport codes: unauthorized, invalid_json, ...) to a status and
 * title in its problem catalogue (packages/api/src/problem.ts), which must cover every code.
 *
 * `ErrorCodes` is an interface so that packages/api can add its transport codes by declaration
 * merging and throw them as the same `AppError`; core's code never needs them.
 */
export interface ErrorCodes {
  email_required: true;
  email_not_verified: true;
  owner_only: true;
  deck_not_found: true;
  do_not_found: true;
  collaborator_exists: true;
  collaborator_not_found: true;
  collaborator_limit: true;
  deck_limit: true;
  do_limit: true;
  cannot_add_self: true;
  no_updates_provided: true;
  precondition_failed: true;
  idempotency_key_reused: true;
  sync_token_expired: true;
  validation_failed: true;
  service_unavailable: true;
  internal_error: true;
}

export type ErrorCode = keyof ErrorCodes;

/** The codes core itself raises, for the API's catalogue to prove it covers them. */
export const domainErrorCodes = [
  "email_required",
  "email_not_verified",
  "owner_only",
  "deck_not_found",
  "do_not_found",
  "collaborator_exists",
  "collaborator_not_found",
  "collaborator_limit",
  "deck_limit",
  "do_limit",
  "cannot_add_self",
  "no_updates_provided",
  "precondition_failed",
  "idempotency_key_reused",
  "sync_token_expired",
  "validation_failed",
  "service_unavailable",
  "internal_error",
] as const satisfies readonly ErrorCode[];

export type DomainErrorCode = (typeof domainErrorCodes)[number];

export type FieldError = { path: string; message: string };

export class AppError extends Error {
  readonly code: ErrorCode;
  /** What a client is told; undefined means the code's title says it all. */
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  /** Seconds a client should wait before retrying (service_unavailable only). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { errors?: FieldError[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    // The API renders a missing detail as the code's title; the message is for logs.
    super(detail ?? code, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.detail = detail;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
  }
}
