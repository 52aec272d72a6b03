import { AppError, type DomainErrorCode, type ErrorCode } from "@dodeck/core";

/** Codes only the HTTP layer raises; core never sees them. */
export type TransportErrorCode =
  | "unauthorized"
  | "invalid_json"
  | "payload_too_large"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "not_found"
  // Node's own answers to requests it cannot parse, before the app sees them.
  | "bad_request"
  | "request_timeout"
  | "request_header_fields_too_large";

// The transport codes join core's `ErrorCodes`, so the API (and auth) throw them as AppErrors
// and one renderer handles both.
declare module "@dodeck/core" {
  interface ErrorCodes {
    unauthorized: true;
    invalid_json: true;
    payload_too_large: true;
    unsupported_media_type: true;
    method_not_allowed: true;
    not_found: true;
    bad_request: true;
    request_timeout: true;
    request_header_fields_too_large: true;
  }
}

type Entry = { status: number; title: string };

/**
 * The contract's problem codes (SPEC.md "Errors"), each with its HTTP status and title: core's
 * domain codes extended by the transport ones. `satisfies` makes a code missing here a type
 * error, in either direction.
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
  deck_limit: { status: 409, title: "Deck limit reached" },
  do_limit: { status: 409, title: "Do limit reached" },
  cannot_add_self: { status: 400, title: "Cannot add yourself as a collaborator" },
  no_updates_provided: { status: 400, title: "No updates provided" },
  idempotency_key_reused: {
    status: 422,
    title: "Idempotency-Key already used for a different request",
  },
  precondition_failed: { status: 412, title: "Precondition failed" },
  sync_token_expired: { status: 410, title: "Sync token expired" },
  validation_failed: { status: 422, title: "Validation failed" },
  invalid_json: { status: 400, title: "Malformed JSON body" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  service_unavailable: { status: 503, title: "Service unavailable" },
  internal_error: { status: 500, title: "Internal server error" },
  bad_request: { status: 400, title: "Bad request" },
  request_timeout: { status: 408, title: "Request timeout" },
  request_header_fields_too_large: { status: 431, title: "Request header fields too large" },
} as const satisfies Record<DomainErrorCode | TransportErrorCode, Entry> & Record<ErrorCode, Entry>;

export type ProblemCode = keyof typeof problemCatalogue;

export const PROBLEM_TYPE_BASE = "https://dodeck.app/problems/";

export const statusOf = (code: ProblemCode): number => problemCatalogue[code].status;

/** The one renderer of RFC 9457 problem details; every error response goes through it. */
export function problemResponse(error: AppError, headers: Record<string, string> = {}): Response {
  const { status, title } = problemCatalogue[error.code];
  const body = {
    type: `${PROBLEM_TYPE_BASE}${error.code.replaceAll("_", "-")}`,
    title,
    status,
    detail: error.detail ?? title,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
  const extra: Record<string, string> = { ...headers };
  if (error.retryAfter !== undefined) {
    extra["retry-after"] = String(error.retryAfter);
    // A "try again shortly" answer must not be served from a cache after the outage.
    extra["cache-control"] = "no-store";
  }
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...extra },
  });
}

export { AppError };
