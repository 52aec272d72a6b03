import { assertDocumented } from "./contract.ts";

/**
 * Status, headers, raw text and parsed JSON (or the text when it is not JSON) of a response.
 * Given the request's method and path, the response is also checked against the OpenAPI
 * document (status, headers, body schema): see contract.ts.
 */
export async function readReply(response: Response, request?: { method: string; path: string }) {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (request) {
    assertDocumented({
      ...request,
      status: response.status,
      headers: response.headers,
      body: json,
    });
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
  return { status: response.status, headers: response.headers, text, body: json as any };
}
