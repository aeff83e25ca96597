import { readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CANARY_VALUES, expectOneLineError, runCli, tempDir, writeJsonl, type Json } from "./helpers.js";
import { jsonLength, Pseudonyms } from "../src/pseudonyms.js";
import { Sanitizer } from "../src/sanitize.js";
import { baselineLane, directLane, headroomLane } from "./sanitize-fixture.js";

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const direct = writeJsonl(dir, "direct.jsonl", directLane());
const headroom = writeJsonl(dir, "headroom.jsonl", headroomLane());

function sanitize(name: string, extra: string[] = []): { direct: string; headroom: string } {
  const out = { direct: join(dir, name, "direct.jsonl"), headroom: join(dir, name, "headroom.jsonl") };
  const result = runCli(["sanitize", direct, out.direct, headroom, out.headroom, "-q", ...extra]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return out;
}

function jsonReport(pair: { direct: string; headroom: string }, name: string): Json {
  const file = join(dir, `${name}.json`);
  const result = runCli(["--direct", pair.direct, "--headroom", pair.headroom, "--json-output", file, "-o", join(dir, `${name}.md`), "-q"]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(readFileSync(file, "utf8")) as Json;
}

/**
 * A report with what sanitizing changes by design made comparable: input paths and time dropped,
 * error messages (replaced) blanked, and every SHA-256 renamed by order of first appearance, so
 * what stays is whether hashes are equal, not their values.
 */
function comparable(report: Json): unknown {
  const names = new Map<string, string>();
  const visit = (value: unknown, key: string | null): unknown => {
    if (typeof value === "string") {
      if (key === "message") return "<message>";
      if (key === "tool_use_id") return "<tool_use_id>"; // ids are re-keyed by design (the proxy account names them)
      if (/^[0-9a-f]{64}$/.test(value)) {
        if (!names.has(value)) names.set(value, `sha#${names.size + 1}`);
        return names.get(value);
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => visit(item, key));
    if (value !== null && typeof value === "object") {
      // A tool result's length in characters (the proxy account) follows its text, which sanitizing replaces.
      const kept = Object.entries(value).filter(([k]) => !["generated_at", "inputs", "file", "baseline", "chars"].includes(k));
      return Object.fromEntries(kept.map(([k, v]) => [k, visit(v, k)]));
    }
    return value;
  };
  return visit(report, null);
}

function lines(file: string): Array<Json | null> {
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(0, -1)
    .map((line) => (line === "" ? null : (JSON.parse(line) as Json)));
}

describe("sanitize: the same report from sanitized captures", () => {
  const original = jsonReport({ direct, headroom }, "original");
  const shared = sanitize("shared");
  const sanitized = jsonReport(shared, "sanitized");

  it("gives the same pairs, deltas, tools figures, headers, JSON paths and usage", () => {
    expect(comparable(sanitized)).toEqual(comparable(original));
  });

  it("really exercises what the fixture is for", () => {
    const paired = original.paired as Array<Json & { anthropic: Json; json: Json; headers: Json }>;
    const turn3 = paired.find((pair) => pair.direct_sequence === 3);
    expect(turn3?.anthropic.tools_reordered).toBe(true);
    expect((turn3?.json.only_headroom as string[]).length).toBeGreaterThan(0);
    expect([(turn3?.anthropic.direct as Json).message_count, (turn3?.anthropic.headroom as Json).message_count]).toEqual([3, 4]);
    expect((original.summary as { paired: number }).paired).toBe(6);
    expect(original.only_headroom).toHaveLength(1);
    expect(paired.find((pair) => pair.direct_sequence === 1)?.json.changed).toEqual(["$.messages[0].content"]);
    const turn6 = paired.find((pair) => pair.direct_sequence === 6);
    expect(turn6?.headers).toMatchObject({ only_direct: [], only_headroom: [], changed: [] });
    expect(paired.find((pair) => pair.direct_sequence === 2)?.headers.only_headroom).toEqual(["x-forwarded-for", "x-headroom-mode"]);
  });

  it("keeps the Markdown report's rows", () => {
    const rows = (name: string) =>
      readFileSync(join(dir, `${name}.md`), "utf8")
        .split("\n")
        .filter((line) => !/^Generated:|capture: `|client_disconnected/.test(line))
        // The proxy account names changed tool results by id and length, both changed by sanitizing by design.
        .map((line) => line.replace(/`(\w+) toolu_[^`]*` \d+ -> (\d+|-) chars/g, "`$1 <id>` <chars>"));
    expect(rows("sanitized")).toEqual(rows("original"));
  });

  it("leaves no canary secret, nor any 8 characters of one, and no prompt or tool text", () => {
    const text = readFileSync(shared.direct, "utf8") + readFileSync(shared.headroom, "utf8");
    for (const canary of CANARY_VALUES) {
      for (let i = 0; i + 8 <= canary.length; i++) expect(text).not.toContain(canary.slice(i, i + 8));
    }
    for (const content of ["Why does the build fail", "Reads a file", "ledger", "acme-payments", "Let me look", "grep -r", "tengu_startup", "client went away", "10.1.2.3", "dana"]) {
      expect(text).not.toContain(content);
    }
  });

  it("keeps sizes: body bytes as recorded, and the JSON body's own length", () => {
    const originals = [...lines(direct), ...lines(headroom)];
    const copies = [...lines(shared.direct), ...lines(shared.headroom)];
    expect(copies.map((line) => line === null)).toEqual(originals.map((line) => line === null));
    originals.forEach((record, i) => {
      const copy = copies[i];
      if (!record || !copy) return;
      if (record.request_body_size !== undefined) expect(copy.request_body_size).toBe(record.request_body_size);
      if (record.request_json) expect(Buffer.byteLength(JSON.stringify(copy.request_json))).toBe(Buffer.byteLength(JSON.stringify(record.request_json)));
      if (record.request_body_b64 && !copy.request_json) expect(Buffer.from(copy.request_body_b64 as string, "base64").length).toBe(Buffer.from(record.request_body_b64 as string, "base64").length);
      expect(copy.response_body_size).toBe(record.response_body_size);
    });
  });

  it("hashes ids the same way in both lanes, keeping their kind; keeps tool names, types, roles, model and the billing-header prefix", () => {
    type Body = { model: string; tools: Array<{ name: string }>; system: Array<{ text: string; type: string }>; messages: Array<{ role: string; content: Array<Json> }> };
    const body = (file: string, sequence: number) => (lines(file).find((record) => record?.sequence === sequence)?.request_json ?? {}) as Body;
    const d = body(shared.direct, 3);
    const h = body(shared.headroom, 3);
    const useId = d.messages[1]?.content[1]?.id as string;
    expect(useId).toMatch(/^toolu_/);
    expect(useId).not.toBe("toolu_01HJk3mPq9RsT4uVwXyZ2aBc");
    expect(d.messages[2]?.content[0]?.tool_use_id).toBe(useId);
    expect(h.messages[1]?.content[1]?.id).toBe(useId);
    expect(h.messages[3]?.content[0]?.tool_use_id).toBe(useId);
    expect(d.messages[1]?.content[1]?.name).toBe("Bash");
    const input = d.messages[1]?.content[1]?.input as Json;
    expect(input.type).not.toBe("secret-looking input");
    expect(input.name).not.toBe("not a tool");
    expect(d.tools.map((tool) => tool.name)).toEqual(["Read", "Bash", "Edit", "Grep", "mcp__tracker__lookup"]);
    expect(h.tools.map((tool) => tool.name)).toEqual(["Bash", "Edit", "Grep", "mcp__tracker__lookup", "Read"]);
    expect(d.model).toBe("claude-sonnet-4-5-20250929");
    expect(d.messages.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
    expect(d.system[0]?.text).toMatch(/^x-anthropic-billing-header:/);
    expect(d.system[1]?.type).toBe("text");
  });

  it("keeps allow-listed header values only; names like a secret are <redacted>, others get stand-ins", () => {
    const record = lines(shared.headroom).find((line) => line?.sequence === 2) as Json;
    const headers = record.request_headers as Record<string, string>;
    expect(headers["user-agent"]).toBe("claude-cli/2.1.332 (external, cli)");
    expect(headers["anthropic-beta"]).toBe("claude-code-20250219,interleaved-thinking-2025-05-14");
    expect(headers["x-stainless-os"]).toBe("Linux");
    expect(headers["x-api-key"]).toBe("<redacted>");
    expect(headers.authorization).toBe("<redacted>");
    expect(headers.cookie).toBe("<redacted>");
    expect(headers["x-forwarded-for"]).toHaveLength("10.1.2.3".length);
    expect(headers["x-forwarded-for"]).not.toBe("10.1.2.3");
    expect(record.request_body_sha256).toMatch(/^[0-9a-f]{64}$/);
    const original = lines(headroom).find((line) => line?.sequence === 2) as Json;
    expect(record.request_body_sha256).not.toBe(original.request_body_sha256);
    expect(record.response_body_sha256).not.toBe(original.response_body_sha256);
  });

  it("writes the copies with mode 0600, also over an existing file", () => {
    expect(statSync(shared.direct).mode & 0o777).toBe(0o600);
    const out = join(dir, "existing.jsonl");
    writeFileSync(out, "old\n", { mode: 0o644 });
    expect(runCli(["sanitize", direct, out, "-q"]).status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("uses a new random key per run, and the same stand-ins for the same --salt", () => {
    const again = sanitize("again");
    expect(readFileSync(again.direct, "utf8")).not.toBe(readFileSync(shared.direct, "utf8"));
    const a = join(dir, "salted-a.jsonl");
    const b = join(dir, "salted-b.jsonl");
    expect(runCli(["sanitize", direct, a, "--salt", "team secret", "-q"]).status).toBe(0);
    expect(runCli(["sanitize", direct, b, "--salt", "team secret", "-q"]).status).toBe(0);
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
  });

  it("says what it wrote, and that a lone capture with a random key matches no other run", () => {
    const out = join(dir, "said.jsonl");
    const result = runCli(["sanitize", direct, out]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      "headroom-analyze: warning: sanitized with a one-off key: captures sanitized in another run will not match this one (name them all in one call, or give each run the same --salt)\n" +
        `Wrote sanitized capture: ${out}\n`,
    );
    expect(runCli(["sanitize", direct, out, "--salt", "s"]).stderr).toBe(`Wrote sanitized capture: ${out}\n`);
  });
});

describe("sanitize: three captures in one call, with a baseline", () => {
  it("gives the same report with --baseline, noise included", () => {
    const baseline = writeJsonl(dir, "baseline.jsonl", baselineLane());
    const out = (name: string) => join(dir, "three", name);
    const result = runCli(["sanitize", direct, out("d.jsonl"), headroom, out("h.jsonl"), baseline, out("b.jsonl"), "-q"]);
    expect(result.status, result.stderr).toBe(0);
    const report = (d: string, h: string, b: string, name: string) => {
      const file = join(dir, `${name}.json`);
      const run = runCli(["--direct", d, "--headroom", h, "--baseline", b, "--json-output", file, "-o", join(dir, `${name}.md`), "-q"]);
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(readFileSync(file, "utf8")) as Json;
    };
    const original = report(direct, headroom, baseline, "baseline-original");
    const sanitized = report(out("d.jsonl"), out("h.jsonl"), out("b.jsonl"), "baseline-sanitized");
    expect((original.summary as { noise: { json: number } }).noise.json).toBe(6);
    expect(comparable(sanitized)).toEqual(comparable(original));
  });
});

describe("sanitize: bad command lines and bad input", () => {
  it("wants IN OUT pairs (exit 64)", () => {
    const result = runCli(["sanitize", direct, join(dir, "x.jsonl"), headroom]);
    expect(result.status).toBe(64);
    expect(expectOneLineError(result)).toMatch(/pairs of files/);
  });

  it("wants a text for --salt (exit 64)", () => {
    const result = runCli(["sanitize", direct, join(dir, "z.jsonl"), "--salt", ""]);
    expect(result.status).toBe(64);
    expect(expectOneLineError(result)).toContain("--salt needs a text");
  });

  it("refuses to write over an input (exit 64)", () => {
    const result = runCli(["sanitize", direct, join(dir, "y.jsonl"), headroom, direct]);
    expect(result.status).toBe(64);
    expect(expectOneLineError(result)).toContain("is an input capture");
  });

  it("names file:line of a bad line (exit 2) and writes no output at all", () => {
    const bad = writeJsonl(dir, "bad.jsonl", [directLane()[0] as Json, "{not json", directLane()[1] as Json]);
    const first = join(dir, "first-out.jsonl");
    const second = join(dir, "second-out.jsonl");
    const result = runCli(["sanitize", direct, first, bad, second]);
    expect(result.status).toBe(2);
    expect(expectOneLineError(result)).toBe(`headroom-analyze: error: ${bad}:2: line is not valid JSON (at character 2)`);
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(false);
  });

  it("says in one line when an output cannot be written (exit 1)", () => {
    const result = runCli(["sanitize", direct, "/proc/no-such-dir/out.jsonl"]);
    expect(result.status).toBe(1);
    expect(expectOneLineError(result)).toMatch(/^headroom-analyze: error: cannot write sanitized capture \/proc\/no-such-dir\/out\.jsonl \(E[A-Z]+\)$/);
  });

  it("is listed in --help", () => {
    const result = runCli(["--help"]);
    expect(result.stdout).toMatch(/sanitize <in> <out>/);
    const own = runCli(["sanitize", "--help"]);
    expect(own.stdout).toContain("--salt");
  });
});

describe("stand-ins", () => {
  it("have the JSON length of the original, escapes, non-ASCII and lone surrogates included", () => {
    const pseudonyms = new Pseudonyms("t");
    for (const text of ["a", 'say "hi"\n', "tab\there", "Ümlaut 🚀", "\ud800 lone", "\u0001", "x".repeat(5000)]) {
      const standIn = pseudonyms.text(text);
      expect(jsonLength(standIn)).toBe(jsonLength(text));
      expect(Buffer.byteLength(JSON.stringify(standIn))).toBe(Buffer.byteLength(JSON.stringify(text)));
    }
  });

  it("stay different for different short strings as long as their length has stand-ins left", () => {
    const pseudonyms = new Pseudonyms();
    const chars = Array.from({ length: 64 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '"' && c !== "\\");
    const standIns = new Set(chars.map((c) => pseudonyms.text(c)));
    expect(standIns.size).toBe(chars.length);
    expect(pseudonyms.clashes).toBe(0);
    expect(chars.map((c) => pseudonyms.text(c))).toEqual([...standIns]);
  });

  it("keep id prefixes, not ids", () => {
    const standIn = new Pseudonyms().text("toolu_01HJk3mPq9RsT4uVwXyZ2aBc");
    expect(standIn).toMatch(/^toolu_[A-Za-z0-9_-]{22}\.\.$/);
    expect(standIn).not.toContain("HJk3mPq9");
  });
});

describe("sanitized bodies compare like the originals (seeded random pairs)", () => {
  /** A small seeded PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const STRINGS = ["", "a", "b", "ok", "no", "yes", "text", "user", "Bash", "tool_use", "toolu_01ABCDEFGHJK", "toolu_01ABCDEFGHJL", 'q"uote\n', "Ümlaut 🚀", "x".repeat(40), "x".repeat(39) + "y"];
  const KEYS = ["type", "role", "name", "id", "tool_use_id", "text", "content", "input", "metadata", "model", "cache_control", "a", "b"];

  function value(next: () => number, depth: number): unknown {
    const r = next();
    if (depth > 4 || r < 0.45) return STRINGS[Math.floor(next() * STRINGS.length)];
    if (r < 0.55) return Math.floor(next() * 5);
    if (r < 0.6) return next() < 0.5;
    if (r < 0.8) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 4); i > 0; i--) object[KEYS[Math.floor(next() * KEYS.length)] as string] = value(next, depth + 1);
    return object;
  }

  /** The body with about one leaf in five replaced. */
  function mutate(body: unknown, next: () => number): unknown {
    if (body === null || typeof body !== "object") return next() < 0.2 ? value(next, 4) : body;
    if (Array.isArray(body)) return body.map((item) => mutate(item, next));
    return Object.fromEntries(Object.entries(body).map(([key, item]) => [key, mutate(item, next)]));
  }

  function leaves(body: unknown, path = "$", out = new Map<string, string>()): Map<string, string> {
    if (body === null || typeof body !== "object") out.set(path, JSON.stringify(body));
    else if (Array.isArray(body)) body.forEach((item, i) => leaves(item, `${path}[${i}]`, out));
    else for (const [key, item] of Object.entries(body)) leaves(item, `${path}.${key}`, out);
    return out;
  }

  it("keeps every path, which leaves are equal across the pair, and the JSON length (2,000 pairs)", () => {
    const next = random(20261127);
    const sanitizer = new Sanitizer();
    for (let i = 0; i < 2000; i++) {
      const a = { tools: [{ name: "Read", description: value(next, 3) }], messages: value(next, 1) };
      const b = mutate(a, next);
      const [sa, sb] = [sanitizer.body(a), sanitizer.body(b)];
      expect(Buffer.byteLength(JSON.stringify(sa))).toBe(Buffer.byteLength(JSON.stringify(a)));
      const [la, lb, lsa, lsb] = [leaves(a), leaves(b), leaves(sa), leaves(sb)];
      expect([...lsa.keys()]).toEqual([...la.keys()]);
      expect([...lsb.keys()]).toEqual([...lb.keys()]);
      for (const [path, leaf] of la) {
        if (lb.has(path)) expect(lsa.get(path) === lsb.get(path), `pair ${i} at ${path}`).toBe(leaf === lb.get(path));
      }
    }
    expect(sanitizer.pseudonyms.clashes).toBe(0);
  });

  it("treats a value alike whatever sits beside it (a block whose type changes keeps its name's status)", () => {
    const sanitizer = new Sanitizer();
    const a = sanitizer.body({ messages: [{ role: "assistant", content: [{ type: "tool_use", name: "Bash", id: "toolu_01ABCDEFGHJK" }] }] }) as Json;
    const b = sanitizer.body({ messages: [{ role: "assistant", content: [{ type: "text", name: "Bash", id: "toolu_01ABCDEFGHJK" }] }] }) as Json;
    expect(leaves(a).get("$.messages[0].content[0].name")).toBe(leaves(b).get("$.messages[0].content[0].name"));
  });
});
