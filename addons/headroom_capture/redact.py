"""
Which values are secret, and removing them. Secrets are redacted at the source so no later step has to remember to.

The same rules live in the analyzer (analyzer/src/redact.ts); schema/redaction-vectors.json holds the cases both
test suites run, so the two cannot drift apart.
"""

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, unquote_plus

REDACTED = "<redacted>"
SENSITIVE_HEADER_PARTS = ("authorization", "api-key", "apikey", "token", "secret", "cookie")
SENSITIVE_QUERY_PARTS = ("key", "token", "secret", "signature", "code")
# Token *counts* name "token" but hold numbers: Headroom's x-headroom-tokens-before/after/saved (the proxy's own
# account, which the proxy report checks against the wire) and Anthropic's anthropic-ratelimit-*-tokens-*. They are
# kept when the value is a plain number or time; anything else under such a name stays redacted.
TOKEN_COUNT_HEADER = re.compile(r"(?:^|-)tokens-(?:before|after|saved|limit|remaining|reset)$")
TOKEN_COUNT_VALUE = re.compile(r"[0-9][0-9:.TZ+-]{0,39}")
# A secret shorter than this is only removed where it is a redacted value, not searched for elsewhere.
MIN_SCRUB_LENGTH = 8

HeaderFields = Iterable[tuple[bytes, bytes]]


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_HEADER_PARTS)


def is_token_count(name: str, value: str) -> bool:
    return bool(TOKEN_COUNT_HEADER.search(name.lower())) and TOKEN_COUNT_VALUE.fullmatch(value.strip()) is not None


def is_secret_header_value(name: str, value: str) -> bool:
    return is_sensitive_header(name) and not is_token_count(name, value)


def is_sensitive_query_key(key: str) -> bool:
    lowered = unquote_plus(key).lower()
    return any(part in lowered for part in SENSITIVE_QUERY_PARTS)


VALUE_SEPARATORS = re.compile(r"[\s,;]+")


def secret_parts(value: str) -> Iterator[str]:
    """
    The value itself plus the pieces a secret hides in: `Bearer <t>`, `Basic <b64>`, `a=<v>; b=<v>` cookies,
    `<a>, <b>` lists. Each piece is searched for in the rest of the record (when long enough).
    """
    yield value
    for piece in VALUE_SEPARATORS.split(value):
        yield piece
        _, eq, after = piece.partition("=")
        if eq:
            yield after.strip('"')


def redact_header_fields(fields: HeaderFields, secrets: set[str]) -> dict[str, str]:
    """
    Header name (first spelling seen) to value; repeats joined with ", "; sensitive values replaced.
    An empty value stays empty: there is nothing in it to hide, and "sent empty" is worth seeing.
    """
    joined: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    redacted: set[str] = set()
    for raw_name, raw_value in fields:
        name, value = raw_name.decode("utf-8", "surrogateescape"), raw_value.decode("utf-8", "surrogateescape")
        key = name.lower()
        spelling.setdefault(key, name)
        joined.setdefault(key, []).append(value)
        if is_secret_header_value(name, value):
            redacted.add(key)
            secrets.update(secret_parts(value))
    shown = {key: ", ".join(values) for key, values in joined.items()}
    return {spelling[key]: REDACTED if key in redacted and value else value for key, value in shown.items()}


def redact_header_value(name: str, value: str) -> str:
    return REDACTED if value and is_secret_header_value(name, value) else value


def redact_query(query: str, secrets: set[str]) -> str:
    """
    A query string (without `?`) with the value of every sensitive key replaced; the rest kept byte for byte.
    A key without `=` has no value and is kept as it is.
    """
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if eq and is_sensitive_query_key(key):
            secrets.update(secret_parts(unquote_plus(value)))
            secrets.add(value)
            part = f"{key}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_url(url: str, secrets: set[str]) -> str:
    """The URL with the value of every sensitive query key replaced; the rest kept byte for byte."""
    base, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_mark, fragment = rest.partition("#")
    return f"{base}?{redact_query(query, secrets)}{hash_mark}{fragment}"


def long_secrets(secrets: Iterable[str]) -> list[str]:
    # Longest first, so that a secret containing another is removed whole.
    # `<redacted>` itself (also percent-encoded, as an already redacted URL carries it) is no secret.
    found = {s for s in secrets if len(s) >= MIN_SCRUB_LENGTH and unquote_plus(s) != REDACTED}
    return sorted(found, key=len, reverse=True)


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Each secret long enough to search for, as written and percent-encoded (both ways); longest first."""
    forms = {form for s in long_secrets(secrets) for form in (s, quote(s, safe=""), quote(s, safe="/:"))}
    return sorted(forms, key=len, reverse=True)


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """Raw bytes with every known secret (as written or percent-encoded, and JSON-escaped) replaced."""
    for form in secret_forms(secrets):
        for spelling in {form, json_escaped(form)}:
            data = data.replace(spelling.encode("utf-8", "surrogateescape"), REDACTED.encode())
    return data


def scrub_text(text: str, forms: list[str]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def scrub_value(value: Any, forms: list[str]) -> Any:
    """The record with every known secret removed from every string in it (keys too)."""
    if isinstance(value, str):
        return scrub_text(value, forms)
    if isinstance(value, dict):
        return {scrub_value(k, forms): scrub_value(v, forms) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(item, forms) for item in value]
    return value


def json_escaped(text: str) -> str:
    """How `text` appears inside a JSON string written without ASCII escaping."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def contains_secret(data: bytes, forms: list[str]) -> bool:
    """Whether UTF-8 JSON text holds a known secret anywhere, in its canonical JSON spelling."""
    return any(json_escaped(form).encode("utf-8", "surrogatepass") in data for form in forms)
