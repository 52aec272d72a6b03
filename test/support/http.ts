/** Status, headers, raw text and parsed JSON (or the text when it is not JSON) of a response. */
export async function readReply(response: Response) {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
  return { status: response.status, headers: response.headers, text, body: json as any };
}
