import { parseArgs } from "node:util";
import { loadDevIssuer } from "./dev-issuer.ts";

// npm run token -- --sub alice --email alice@example.com [--unverified] [--expires 1h]
const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "local|alice" },
    email: { type: "string" },
    unverified: { type: "boolean", default: false },
    expires: { type: "string", default: "12h" },
  },
});

const issuer = await loadDevIssuer();
const token = await issuer.sign(
  { sub: values.sub, email: values.email, emailVerified: !values.unverified },
  values.expires,
);
process.stdout.write(`${token}\n`);
