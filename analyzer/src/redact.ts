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
/** How a redacted query value appears in a URL (percent-encoded `<redacted>`). */
const REDACTED_QUERY_VALUE = encodeURIComponent(REDACTED);


/** Header list with sensitive values replaced; accepts `{name: value}` or `[[name, value], ...]`. */
export function redactHeaders(headers: unknown): Array<[string, string]> {
  const entries: Array<[string, unknown]> = Array.isArray(headers)
    ? headers.filter((pair): pair is [string, unknown] => Array.isArray(pair) && pair.length >= 2).map((p) => [String(p[0]), p[1]])
    : headers !== null && typeof headers === "object"
      ? Object.entries(headers as Record<string, unknown>)
      : [];
  return entries.map(([name, value]) => {
    const text = Array.isArray(value) ? value.map(String).join(", ") : value == null ? "" : String(value);
    return [name, SENSITIVE_HEADER.test(name) && text !== "" ? REDACTED : text];
  });
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

/** The query string (without `?`) with sensitive values redacted; other parts keep their encoding. */
export function redactQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      const key = eq === -1 ? part : part.slice(0, eq);
      if (!SENSITIVE_QUERY_KEY.test(decodedKey(key))) return part;
      return `${key}=${REDACTED_QUERY_VALUE}`;
    })
    .join("&");
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
