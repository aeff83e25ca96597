/**
 * Redaction: header values, URL query values and free text with secrets removed.
 *
 * Why its own module: every value that reaches a report passes through here first (normalize.ts
 * calls it before anything is compared), so what counts as a secret is described in one place.
 */

export const REDACTED = "<redacted>";
/** Header names containing one of these (case-insensitive) have their value redacted. */
const SENSITIVE_HEADER = /authorization|api-key|apikey|token|secret|cookie/i;
/** URL query keys containing one of these (case-insensitive) have their value redacted. */
const SENSITIVE_QUERY_KEY = /key|token|secret|signature|code/i;
/** How a redacted query value appears in a URL (percent-encoded `<redacted>`, as URL parsing writes it). */
const REDACTED_QUERY_VALUE = encodeURIComponent(REDACTED);
/** A secret shorter than this is only redacted where it stands, never searched for elsewhere. */
export const MIN_SCRUB_LENGTH = 8;

/** `{name: value}` or `[[name, value], ...]` as name/text pairs (repeated values joined with ", "). */
function rawHeaderEntries(headers: unknown): Array<[string, string]> {
  const entries: Array<[string, unknown]> = Array.isArray(headers)
    ? headers.filter((pair): pair is [string, unknown] => Array.isArray(pair) && pair.length >= 2).map((p) => [String(p[0]), p[1]])
    : headers !== null && typeof headers === "object"
      ? Object.entries(headers as Record<string, unknown>)
      : [];
  return entries.map(([name, value]) => [name, Array.isArray(value) ? value.map(String).join(", ") : value == null ? "" : String(value)]);
}

/**
 * Header list with sensitive values replaced; accepts `{name: value}` or `[[name, value], ...]`.
 * An empty value stays empty: there is nothing in it to hide, and "sent empty" is worth seeing.
 */
export function redactHeaders(headers: unknown): Array<[string, string]> {
  return rawHeaderEntries(headers).map(([name, text]) => [name, SENSITIVE_HEADER.test(name) && text !== "" ? REDACTED : text]);
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

/**
 * The query string (without `?`) with sensitive values redacted; other parts keep their encoding.
 * A key without `=` has no value and is kept as it is. `placeholder` is what replaces a value
 * (percent-encoded `<redacted>` in URLs; the shared vectors use `<redacted>` itself).
 * Each redacted value (and its decoded pieces) is added to `secrets` when given.
 */
export function redactQuery(query: string, placeholder = REDACTED_QUERY_VALUE, secrets?: Set<string>): string {
  if (query === "") return "";
  return query
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      if (eq === -1 || !SENSITIVE_QUERY_KEY.test(decodedKey(part.slice(0, eq)))) return part;
      if (secrets) {
        const value = part.slice(eq + 1);
        for (const piece of secretParts(unquotePlus(value))) secrets.add(piece);
        secrets.add(value);
      }
      return `${part.slice(0, eq)}=${placeholder}`;
    })
    .join("&");
}

// ---------------------------------------------------------------------------------------------
// Known secrets: a value redacted in a header or the query is also removed wherever else it
// appears in the same record (a body echoing the key, a JSON key, a model name). The rules match
// the addon's (addons/headroom_capture/redact.py); schema/redaction-vectors.json checks both.

const VALUE_SEPARATORS = /[\s,;]+/;

/** The value plus the pieces a secret hides in: `Bearer <t>`, cookies `a=<v>; b=<v>`, `<a>, <b>` lists. */
export function secretParts(value: string): string[] {
  const parts = [value];
  for (const piece of value.split(VALUE_SEPARATORS)) {
    parts.push(piece);
    const eq = piece.indexOf("=");
    if (eq !== -1) parts.push(piece.slice(eq + 1).replace(/^"+|"+$/g, ""));
  }
  return parts;
}

/** Like Python's `unquote_plus`: `+` is a space, `%XX` runs are UTF-8 (bad bytes become U+FFFD), bad escapes kept. */
export function unquotePlus(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  if (!spaced.includes("%")) return spaced;
  const bytes: number[] = [];
  for (let i = 0; i < spaced.length; i++) {
    const hex = spaced.slice(i + 1, i + 3);
    if (spaced[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      const code = spaced.codePointAt(i) ?? 0;
      if (code > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(code), "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Like Python's `quote(text, safe)`: every UTF-8 byte but letters, digits, `_.-~` and `safe` as `%XX`. */
export function percentEncode(text: string, safe = ""): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(char) || (byte < 128 && safe.includes(char)) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The secrets a raw record carries: its sensitive header values and sensitive query values. */
export function recordSecrets(headerSets: unknown[], query: string): Set<string> {
  const secrets = new Set<string>();
  for (const headers of headerSets) {
    for (const [name, value] of rawHeaderEntries(headers)) {
      if (SENSITIVE_HEADER.test(name)) for (const piece of secretParts(value)) secrets.add(piece);
    }
  }
  redactQuery(query, REDACTED, secrets);
  return secrets;
}

/** Each secret long enough to search for, as written and percent-encoded (both ways); longest first. */
export function secretForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    // `<redacted>` itself (also percent-encoded, as an already redacted URL carries it) is no secret.
    if (secret.length < MIN_SCRUB_LENGTH || unquotePlus(secret) === REDACTED) continue;
    forms.add(secret).add(percentEncode(secret)).add(percentEncode(secret, "/:"));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Text with every form replaced by `<redacted>`, also where it stands JSON-escaped. */
export function scrubSecrets(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) {
    for (const spelling of new Set([form, JSON.stringify(form).slice(1, -1)])) {
      if (out.includes(spelling)) out = out.split(spelling).join(REDACTED);
    }
  }
  return out;
}

/** A JSON value with every string (object keys too) scrubbed of the forms. */
export function scrubJson(value: unknown, forms: readonly string[]): unknown {
  if (typeof value === "string") return scrubSecrets(value, forms);
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, forms));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [scrubSecrets(key, forms), scrubJson(item, forms)]));
  }
  return value;
}

export interface RedactedUrl {
  url: string;
  host: string;
  /** Path plus `?query` when there is one. */
  path: string;
}

/**
 * Redact a URL: sensitive query values become `<redacted>` (percent-encoded), user:password and
 * the fragment are dropped. A bare path (`/v1/messages`) is completed with `host`.
 * Returns null when it cannot be parsed as a URL at all.
 */
export function redactUrl(url: string, host: string): RedactedUrl | null {
  let parsed: URL;
  try {
    parsed = url.startsWith("/") ? new URL(url, `http://${host || "unknown-host"}`) : new URL(url);
  } catch {
    return null;
  }
  const query = redactQuery(parsed.search.startsWith("?") ? parsed.search.slice(1) : "");
  const path = (parsed.pathname || "/") + (query ? `?${query}` : "");
  const finalHost = url.startsWith("/") ? host.toLowerCase() : parsed.host || host.toLowerCase();
  const origin = finalHost ? `${parsed.protocol}//${finalHost}` : parsed.protocol;
  return { url: origin + path, host: finalHost, path };
}

/** Free text (an error message) with obvious secrets removed: bearer tokens, sk-… keys, key=value. */
export function scrubText(text: string): string {
  return text
    .replace(/(bearer\s+)[^\s,;"']+/gi, `$1${REDACTED}`)
    .replace(/sk-[A-Za-z0-9_-]{6,}/g, REDACTED)
    .replace(/([?&;\s]?[^\s=&?;]*(?:key|token|secret|signature|code|cookie|authorization)[^\s=&?;]*=)[^&\s;]+/gi, `$1${REDACTED}`)
    .slice(0, 500);
}
