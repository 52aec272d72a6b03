import { apiRoutes, buildOpenApiDocument, honoPath } from "@dodeck/api";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import pkg from "../../package.json" with { type: "json" };

/**
 * Every response a test reads is checked against the OpenAPI document the app serves: its
 * status must be declared for the operation (or be the shared 404/405 of an unknown route or
 * method), its body must validate against the declared schema for that status and media
 * type, and the declared required headers must be present. A response the document does not
 * describe fails the test that saw it.
 */
const BASE = "https://dodeck.test/openapi.json";
const document = buildOpenApiDocument(apiRoutes, { version: pkg.version });
// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ??
  addFormatsPlugin) as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...document, $id: BASE } as object);

const patterns = apiRoutes.map((route) => ({
  route,
  regex: new RegExp(`^${honoPath(route.path).replace(/:[^/]+/g, "[^/]+")}$`),
}));

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

const validators = new Map<string, ValidateFunction>();
function validatorAt(path: string): ValidateFunction {
  let validate = validators.get(path);
  if (!validate) {
    validate = ajv.compile({ $ref: `${BASE}#/${path}` });
    validators.set(path, validate);
  }
  return validate;
}

type ResponseObject = {
  headers?: Record<string, { $ref?: string; required?: boolean }>;
  content?: Record<string, unknown>;
};

export type Exchange = {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
};

/** Throws, naming the operation and what differs, unless the response is as documented. */
export function assertDocumented({ method, path, status, headers, body }: Exchange): void {
  const verb = method.toLowerCase();
  const bare = path.split("?")[0] ?? path;
  // HEAD, CORS preflights and the /docs page are outside the documented API.
  if (verb === "head" || verb === "options" || bare === "/docs" || bare.startsWith("/docs/"))
    return;
  const matching = patterns.filter((p) => p.regex.test(bare));
  const operation = matching.find((p) => p.route.method === verb)?.route;
  let where: string;
  let response: ResponseObject | undefined;
  if (operation) {
    where = pointer("paths", operation.path, verb, "responses", String(status));
    const paths = document.paths as Record<
      string,
      Record<string, { responses: Record<string, ResponseObject> }>
    >;
    response = paths[operation.path]?.[verb]?.responses[String(status)];
  } else {
    const shared = matching.length > 0 ? "MethodNotAllowed" : "NotFound";
    where = pointer("components", "responses", shared);
    response = (document.components.responses as Record<string, ResponseObject>)[shared];
    if (
      status !== (shared === "NotFound" ? 404 : 405) &&
      !(status === 401 && bare.startsWith("/v1/"))
    ) {
      throw new Error(
        `${method} ${path} answered ${status}, but an undocumented route must be ${shared}`,
      );
    }
    // Unknown /v1 paths are authenticated first: 401 is the documented Problem, any route's.
    if (status === 401) return;
  }
  if (!response) {
    throw new Error(`${method} ${path}: status ${status} is not declared in the OpenAPI document`);
  }
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const required =
      header.required ??
      (header.$ref ? name === "Retry-After" || name === "Allow" || name === "X-Request-Id" : false);
    if (required && !headers.has(name)) {
      throw new Error(`${method} ${path} ${status}: header ${name} is declared but missing`);
    }
  }
  if (!response.content) {
    if (body !== undefined && body !== "") {
      throw new Error(`${method} ${path} ${status}: no content is declared, but a body came`);
    }
    return;
  }
  const type = (headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (!(type in response.content)) {
    throw new Error(
      `${method} ${path} ${status}: content-type ${type} is not declared (${Object.keys(response.content)})`,
    );
  }
  const validate = validatorAt(`${where}/${pointer("content", type, "schema")}`);
  if (!validate(body)) {
    throw new Error(
      `${method} ${path} ${status}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
}

/** Whether the document's request-body schema for an operation accepts `body`. */
export function documentAcceptsBody(operationId: string, body: unknown): boolean {
  const operation = apiRoutes.find((route) => route.operationId === operationId);
  if (!operation?.body) throw new Error(`${operationId} takes no body`);
  const at = pointer(
    "paths",
    operation.path,
    operation.method,
    "requestBody",
    "content",
    "application/json",
    "schema",
  );
  return validatorAt(at)(body) as boolean;
}
