import { AppError, type FieldError, type ProblemCode, problemCatalogue } from "@dodeck/core";

export const PROBLEM_TYPE_BASE = "https://dodeck.app/problems/";

/** The one renderer of RFC 9457 problem details; every error response goes through it. */
export function problemResponse(error: AppError, headers: Record<string, string> = {}): Response {
  const body = {
    type: `${PROBLEM_TYPE_BASE}${error.code.replaceAll("_", "-")}`,
    title: problemCatalogue[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
  const extra: Record<string, string> = { ...headers };
  if (error.retryAfter !== undefined) extra["retry-after"] = String(error.retryAfter);
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "content-type": "application/problem+json", ...extra },
  });
}

export function problem(code: ProblemCode, detail?: string, errors?: FieldError[]): AppError {
  return new AppError(code, detail, errors ? { errors } : {});
}
