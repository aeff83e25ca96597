/**
 * The shared redaction vectors (schema/redaction-vectors.json, also run by the addon's tests) and
 * property tests: a canary placed anywhere a secret travels never reaches what the analyzer keeps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createContext, normalizeRecord } from "../src/normalize.js";
import { percentEncode, recordSecrets, REDACTED, redactHeaders, redactQuery, scrubSecrets, secretForms } from "../src/redact.js";
import { REPO, v1Record } from "./helpers.js";

interface Vectors {
  headers: Array<{ name: string; value: string; expected: string }>;
  queries: Array<{ query: string; expected: string }>;
  bodies: Array<{ headers: Array<[string, string]>; query: string; body: string; expected: string }>;
}
const VECTORS = JSON.parse(readFileSync(join(REPO, "schema", "redaction-vectors.json"), "utf8")) as Vectors;

describe("shared redaction vectors", () => {
  it.each(VECTORS.headers)("header $name: $value", ({ name, value, expected }) => {
    expect(redactHeaders([[name, value]])).toEqual([[name, expected]]);
  });

  it.each(VECTORS.queries)("query '$query'", ({ query, expected }) => {
    expect(redactQuery(query, REDACTED)).toBe(expected);
  });

  it.each(VECTORS.bodies)("body '$body'", ({ headers, query, body, expected }) => {
    expect(scrubSecrets(body, secretForms(recordSecrets([headers], query)))).toBe(expected);
  });
});

/** Everything reachable from a value as text, Maps and Sets included (JSON.stringify shows them as {}). */
function deepText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (item instanceof Map ? [...item.entries()] : item instanceof Set ? [...item] : item));
}

describe("no canary reaches what the analyzer keeps (10,000 generated records)", () => {
  const canaryChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/=:@!$'()*".split("");
  const canary = fc.array(fc.constantFrom(...canaryChars), { minLength: 12, maxLength: 40 }).map((chars) => `CANARY${chars.join("")}`);
  const affixes = ["", "x-", "X-", "proxy-", "x-goog-", "Client-", "-v2", "_id", "s", "2"];
  const headerName = fc
    .tuple(fc.constantFrom(...affixes), fc.constantFrom("authorization", "api-key", "apikey", "token", "secret", "cookie"), fc.constantFrom(...affixes), fc.constantFrom("lower", "upper", "as-is"))
    .map(([before, part, after, kind]) => {
      const name = before + part + after;
      return kind === "lower" ? name.toLowerCase() : kind === "upper" ? name.toUpperCase() : name;
    });
  const headerValue = fc.constantFrom("{c}", "Bearer {c}", "Basic {c}", "a=1; sid={c}", 'sid="{c}"; Path=/', "{c}, other-value", "  {c}  ");
  const queryKey = fc
    .tuple(fc.constantFrom("", "api_", "access_", "X-Amz-", "client_"), fc.constantFrom("key", "token", "secret", "signature", "code", "KEY", "Token"), fc.constantFrom("", "_id", "s", "Id"))
    .map((parts) => parts.join(""));
  // Where the canary sits in a Messages body: text, a JSON key, the model, a tool name, a system block, metadata.
  const placement = fc.constantFrom(
    (c: string) => ({ model: "m", messages: [{ role: "user", content: `use ${c} please` }] }),
    (c: string) => ({ model: "m", [c]: 1, messages: [] }),
    (c: string) => ({ model: c, messages: [] }),
    (c: string) => ({ model: "m", tools: [{ name: c, input_schema: { type: "object" } }], messages: [] }),
    (c: string) => ({ model: "m", system: [{ type: "text", text: c }], metadata: { user_id: `user_${c}` }, messages: [] }),
  );

  it("in headers, query strings and bodies (request_json, raw bytes, gzip)", () => {
    fc.assert(
      fc.property(
        canary,
        headerName,
        headerValue,
        queryKey,
        fc.boolean(),
        placement,
        fc.constantFrom("request_json", "raw", "gzip"),
        (secret, name, value, key, inQuery, body, carried) => {
          const json = body(secret);
          const record = v1Record(1, json);
          if (inQuery) {
            record.url = `https://api.anthropic.com/v1/messages?beta=true&${key}=${percentEncode(secret)}`;
          } else {
            record.request_headers = { ...(record.request_headers as object), [name]: value.replace("{c}", () => secret) };
          }
          if (carried !== "request_json") {
            const raw = Buffer.from(JSON.stringify(json));
            const bytes = carried === "gzip" ? gzipSync(raw) : raw;
            delete record.request_json;
            delete record.request_body_sha256;
            record.request_body_b64 = bytes.toString("base64");
            record.request_body_size = bytes.length;
            record.request_content_encoding = carried === "gzip" ? "gzip" : null;
          }
          const context = createContext();
          const exchange = normalizeRecord({ file: "property.jsonl", line: 1, record }, context);
          const kept = deepText(exchange) + deepText(context);
          expect(kept).not.toContain(secret);
          expect(kept).not.toContain(percentEncode(secret));
        },
      ),
      { numRuns: 10_000 },
    );
  }, 300_000);
});
