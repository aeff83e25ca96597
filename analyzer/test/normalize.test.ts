import stringify from "fast-json-stable-stringify";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import type { Exchange } from "../src/exchange.js";
import { createContext, flattenJson, inCaptureOrder, leafPaths, normalizeRecord, PathTable, redactHeaders, redactUrl, sameJson } from "../src/normalize.js";
import { CANARY, legacyRecord, messagesBody, sha256, TOOLS, v1Record } from "./helpers.js";

const at = (record: Record<string, unknown>, line = 1) => ({ file: "capture.jsonl", line, record });

function paths(value: unknown): string[] {
  const table = new PathTable();
  return leafPaths(flattenJson(value, table).leaves, table);
}

describe("redaction", () => {
  it("redacts every header whose name contains authorization, api-key, apikey, token, secret or cookie, in any case", () => {
    const headers = redactHeaders({
      Authorization: `Bearer ${CANARY.bearer}`,
      "Proxy-Authorization": `Basic ${CANARY.bearer}`,
      "X-Api-Key": CANARY.apiKey,
      "x-goog-apikey": CANARY.apiKey,
      "X-Headroom-Proxy-Token": CANARY.proxyToken,
      "client-secret": CANARY.apiKey,
      Cookie: `session=${CANARY.cookie}`,
      "Set-Cookie": `session=${CANARY.cookie}; HttpOnly`,
      "anthropic-beta": "claude-code-20250219",
      "content-type": "application/json",
    });
    expect(Object.fromEntries(headers)).toEqual({
      Authorization: "<redacted>",
      "Proxy-Authorization": "<redacted>",
      "X-Api-Key": "<redacted>",
      "x-goog-apikey": "<redacted>",
      "X-Headroom-Proxy-Token": "<redacted>",
      "client-secret": "<redacted>",
      Cookie: "<redacted>",
      "Set-Cookie": "<redacted>",
      "anthropic-beta": "claude-code-20250219",
      "content-type": "application/json",
    });
  });

  it("accepts headers as [name, value] pairs and list values", () => {
    expect(redactHeaders([["cookie", [CANARY.cookie, "b"]], ["accept", ["a", "b"]]])).toEqual([
      ["cookie", "<redacted>"],
      ["accept", "a, b"],
    ]);
  });

  it("redacts URL query values whose key contains key, token, secret, signature or code; keeps the rest", () => {
    const url = `https://api.example.com/v1/x?beta=true&api_key=${CANARY.query}&Access_Token=${CANARY.query}&client_secret=s&X-Amz-Signature=abc&code=123&page=2#frag`;
    expect(redactUrl(url, "")).toEqual({
      url: "https://api.example.com/v1/x?beta=true&api_key=%3Credacted%3E&Access_Token=%3Credacted%3E&client_secret=%3Credacted%3E&X-Amz-Signature=%3Credacted%3E&code=%3Credacted%3E&page=2",
      host: "api.example.com",
      path: "/v1/x?beta=true&api_key=%3Credacted%3E&Access_Token=%3Credacted%3E&client_secret=%3Credacted%3E&X-Amz-Signature=%3Credacted%3E&code=%3Credacted%3E&page=2",
    });
  });

  it("keeps the scheme of non-HTTP URLs", () => {
    expect(redactUrl(`wss://api.example.com/ws?token=${CANARY.bearer}`, "")?.url).toBe("wss://api.example.com/ws?token=%3Credacted%3E");
  });

  it("drops user:password from a URL and completes a bare path with the host", () => {
    expect(redactUrl(`https://user:${CANARY.apiKey}@api.example.com/a`, "")?.url).toBe("https://api.example.com/a");
    expect(redactUrl("/v1/messages?key=1", "Api.Example.com")).toEqual({ url: "http://api.example.com/v1/messages?key=%3Credacted%3E", host: "api.example.com", path: "/v1/messages?key=%3Credacted%3E" });
  });

  it("redacts a normalized exchange's headers and URL, whatever the input holds", () => {
    const exchange = normalizeRecord(
      at(v1Record(1, messagesBody(), { url: `https://api.anthropic.com/v1/messages?api_key=${CANARY.query}`, request_headers: { "x-api-key": CANARY.apiKey } })),
      createContext(),
    );
    const text = JSON.stringify(exchange);
    for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
    expect(exchange.route).toBe("POST api.anthropic.com/v1/messages?api_key=%3Credacted%3E");
  });
});

describe("JSON paths", () => {
  it("names leaves $.a.b[0].c and makes empty objects and arrays paths of their own", () => {
    expect(paths({ a: { b: [{ c: 1 }, "x"] }, metadata: {}, tools: [], n: null, t: true })).toEqual([
      "$.a.b[0].c",
      "$.a.b[1]",
      "$.metadata",
      "$.tools",
      "$.n",
      "$.t",
    ]);
  });

  it("quotes keys that are not identifiers and handles nested empties and a top-level scalar", () => {
    expect(paths({ "a.b": 1, "with space": { "": [] }, x: [[], {}] })).toEqual(['$["a.b"]', '$["with space"][""]', "$.x[0]", "$.x[1]"]);
    expect(paths("just a string")).toEqual(["$"]);
    expect(paths({})).toEqual(["$"]);
  });

  it("gives equal values equal hashes and different values (or types) different hashes", () => {
    const table = new PathTable();
    const a = flattenJson({ v: "1", w: 1, long: "z".repeat(5000) }, table).leaves;
    const b = flattenJson({ v: 1, w: 1, long: `${"z".repeat(4999)}y` }, table).leaves;
    const c = flattenJson({ v: "1", w: 1, long: "z".repeat(5000) }, table).leaves;
    expect(Array.from(a.hashes)).toEqual(Array.from(c.hashes));
    expect(a.hashes[0]).not.toBe(b.hashes[0]);
    expect(a.hashes[1]).toBe(b.hashes[1]);
    expect(a.hashes[2]).not.toBe(b.hashes[2]);
  });
});

describe("reusing the leaves of repeated history", () => {
  it("gives the same leaves for a repeated block and notices a change deep inside one", () => {
    const table = new PathTable();
    const turn = (result: string) => ({ messages: [{ role: "user", content: [{ type: "tool_result", content: result }] }], tools: TOOLS });
    const first = flattenJson(turn("a".repeat(3000)), table).leaves;
    const again = flattenJson(turn("a".repeat(3000)), table).leaves;
    const changed = flattenJson(turn(`${"a".repeat(2999)}b`), table).leaves;
    expect(Array.from(again.pathIds)).toEqual(Array.from(first.pathIds));
    expect(Array.from(again.hashes)).toEqual(Array.from(first.hashes));
    const differing = Array.from(changed.hashes).flatMap((hash, i) => (hash === first.hashes[i] ? [] : [leafPaths(changed, table)[i]]));
    expect(differing).toEqual(["$.messages[0].content[0].content"]);
  });

  it("compares blocks as JSON values", () => {
    expect(sameJson({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(sameJson({ a: null }, { a: {} })).toBe(false);
  });
});

describe("Anthropic summary", () => {
  it("counts tools and measures them as compact JSON with sorted keys", () => {
    const exchange = normalizeRecord(at(v1Record(1, messagesBody({ tools: TOOLS }))), createContext());
    expect(exchange.anthropic).toMatchObject({
      tools_count: 2,
      tools_bytes: Buffer.byteLength(stringify(TOOLS)),
      tools_sha256: sha256(stringify(TOOLS)),
      tool_names: ["Read", "Bash"],
      anthropic_beta: "claude-code-20250219",
      model: "claude-sonnet-4-5-20250929",
      stream: true,
      message_count: 1,
    });
  });

  it("reports 0 tools when the body has none", () => {
    const exchange = normalizeRecord(at(v1Record(1, messagesBody())), createContext());
    expect(exchange.anthropic).toMatchObject({ tools_count: 0, tools_bytes: 0, tools_sha256: null });
  });
});

describe("original harness records", () => {
  const body = JSON.stringify(messagesBody({ tools: TOOLS }));

  it("parses request_json from request_body_b64 and computes the missing sha256 and size", () => {
    const { request_body_size: _size, ...record } = legacyRecord(1, body);
    const exchange = normalizeRecord(at(record), createContext());
    expect(exchange.request_body_sha256).toBe(sha256(body));
    expect(exchange.request_body_size).toBe(Buffer.byteLength(body));
    expect(exchange.json).not.toBeNull();
    expect(exchange.anthropic.tools_count).toBe(2);
    expect(exchange.sequence).toBe(1);
  });

  it("parses request_json from a plain request_body", () => {
    const { request_body_b64: _b64, ...record } = legacyRecord(1, body);
    const exchange = normalizeRecord(at({ ...record, request_body: body }), createContext());
    expect(exchange.anthropic.tools_count).toBe(2);
    expect(exchange.request_body_sha256).toBe(sha256(body));
  });

  it("keeps a truncated body's recorded size and sha but has no JSON; without a recorded sha the hash is unknown", () => {
    const truncated = { ...legacyRecord(1, body), request_body_b64: Buffer.from(body).subarray(0, 50).toString("base64"), request_body_truncated: true };
    const withSha = normalizeRecord(at({ ...truncated, request_body_sha256: sha256(body) }), createContext());
    expect(withSha).toMatchObject({ json: null, request_body_size: Buffer.byteLength(body), request_body_sha256: sha256(body), request_body_truncated: true });
    const withoutSha = normalizeRecord(at(truncated), createContext());
    expect(withoutSha).toMatchObject({ json: null, request_body_sha256: null, request_body_truncated: true });
  });

  it("uses request_json when the record has it", () => {
    const exchange = normalizeRecord(at({ ...legacyRecord(1, "not json"), request_json: { model: "m", tools: [] } }), createContext());
    expect(exchange.anthropic.model).toBe("m");
    expect(exchange.request_body_sha256).toBe(sha256("not json"));
  });
});

describe("bad records", () => {
  it("rejects a record without method or url, naming file:line", () => {
    const { method: _m, ...noMethod } = v1Record(1, {});
    const { url: _u, ...noUrl } = v1Record(1, {});
    expect(() => normalizeRecord(at(noMethod, 7), createContext())).toThrow(new InputError("capture.jsonl:7: record has no method"));
    expect(() => normalizeRecord(at(noUrl, 8), createContext())).toThrow(new InputError("capture.jsonl:8: record has no url"));
    expect(() => normalizeRecord(at({ ...noUrl, url: "::not a url::" }, 9), createContext())).toThrow("capture.jsonl:9: url is not a valid URL");
  });
});

describe("capture order", () => {
  const exchange = (sequence: number | null, line: number) => ({ sequence, line }) as Exchange;

  it("sorts by sequence (records are written when exchanges complete, so they can be out of order)", () => {
    expect(inCaptureOrder([exchange(2, 1), exchange(3, 2), exchange(1, 3)]).map((e) => e.sequence)).toEqual([1, 2, 3]);
  });

  it("falls back to line order when a record has no sequence", () => {
    expect(inCaptureOrder([exchange(2, 1), exchange(null, 2), exchange(1, 3)]).map((e) => e.line)).toEqual([1, 2, 3]);
  });
});
