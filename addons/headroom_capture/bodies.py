"""
Request bodies: undoing Content-Encoding within a bound, recognising strict JSON, and the body copy a record keeps.

Why decoding comes first: a secret inside a gzip body is invisible to a search of the compressed bytes, so a
non-JSON body is decoded, scrubbed, and only then cut to the configured size. The copy is the decoded bytes,
marked `request_body_decoded`, or, when the body cannot be decoded within the bound, no copy at all.
"""

import base64
import hashlib
import io
import json
import zlib
from typing import Any

from .redact import contains_secret, scrub_bytes

try:
    from simdjson import Parser as SimdJsonParser
except ImportError:  # optional: the standard library gives the same answers, more slowly
    SimdJsonParser = None  # type: ignore[assignment,misc]

# Largest decoded body the addon looks at; a body that inflates past this (a "zip bomb") is hashed and counted,
# never decoded whole.
MAX_DECODED_BYTES = 64 << 20
# Brotli has no output bound, so compressed input is fed in pieces this small and the output checked after each.
BROTLI_PIECE = 256


class DecodeError(ValueError):
    """The body cannot be decoded: unknown or broken encoding, or more than the bound once decoded."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_content(data: bytes, encoding: str | None, limit: int = MAX_DECODED_BYTES) -> bytes:
    """
    `data` with its Content-Encoding undone (a list such as `gzip, br` is undone last first).
    Raises DecodeError for an unknown or broken encoding, or when the result would exceed `limit` bytes.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        data = decode_one(data, coding, limit)
    return data


def decode_one(data: bytes, coding: str, limit: int) -> bytes:
    try:
        if coding == "identity":
            return data
        if coding in ("gzip", "x-gzip"):
            return inflate(data, 16 + zlib.MAX_WBITS, limit)
        if coding == "deflate":
            try:
                return inflate(data, zlib.MAX_WBITS, limit)
            except zlib.error:
                return inflate(data, -zlib.MAX_WBITS, limit)  # raw deflate, as some servers send it
        if coding == "br":
            return unbrotli(data, limit)
        if coding == "zstd":
            return unzstd(data, limit)
    except (zlib.error, OSError, ValueError, EOFError) as e:
        if isinstance(e, DecodeError):
            raise
        raise DecodeError(f"{coding} body does not decode: {e}") from e
    raise DecodeError(f"unknown content encoding {coding!r}")


def too_big(limit: int) -> DecodeError:
    return DecodeError(f"body decodes to more than {limit} bytes")


def inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """zlib/gzip (every gzip member), never producing more than limit + 1 bytes."""
    out = bytearray()
    while data:
        decoder = zlib.decompressobj(wbits)
        out += decoder.decompress(data, limit + 1 - len(out))
        if len(out) > limit or decoder.unconsumed_tail:
            raise too_big(limit)
        if not decoder.eof:
            raise DecodeError("compressed body is cut short")
        data = decoder.unused_data if wbits > zlib.MAX_WBITS else b""
    return bytes(out)


def unbrotli(data: bytes, limit: int) -> bytes:
    try:
        import brotli  # type: ignore[import-untyped]
    except ImportError as e:
        raise DecodeError("br bodies need the brotli module") from e
    decoder = brotli.Decompressor()
    out = bytearray()
    for start in range(0, len(data), BROTLI_PIECE):
        out += decoder.process(data[start : start + BROTLI_PIECE])
        if len(out) > limit:
            raise too_big(limit)
    if not decoder.is_finished():
        raise DecodeError("compressed body is cut short")
    return bytes(out)


def unzstd(data: bytes, limit: int) -> bytes:
    try:
        import zstandard
    except ImportError as e:
        raise DecodeError("zstd bodies need the zstandard module") from e
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    out: bytes = reader.read(limit + 1)
    if len(out) > limit:
        raise too_big(limit)
    return out


def reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def parse_json(data: bytes | str) -> Any:
    """Strict JSON (no NaN/Infinity, which other readers reject); raises ValueError."""
    return json.loads(data, parse_constant=reject_constant)


UTF8_BOM = b"\xef\xbb\xbf"


def is_strict_json(data: bytes) -> bool:
    """
    Whether `data` is UTF-8 that `parse_json` accepts. simdjson, where installed, checks it without building a single
    value, in a third of the time orjson takes to parse it and an eighth of the standard library's. Only its yes is
    taken as it is, and not for a text starting with a byte-order mark (which it skips and JSON text must not have);
    what it refuses (integers past 64 bits, numbers past a double's range, escaped lone surrogates) is asked of the
    standard library, so the answer is the standard library's, but for nesting: it follows up to 1,024 levels (the
    analyzer reads as many), the standard library about 990 (its recursion limit). A parser per body: its buffers
    grow with the largest body it has read, and are not kept.
    """
    if SimdJsonParser is not None and not data.startswith(UTF8_BOM):
        try:
            SimdJsonParser().parse(data)
            return True
        except (ValueError, RuntimeError):  # its errors: ValueError (UnicodeDecodeError too) and RuntimeError
            pass
    try:
        parse_json(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    return True


class RawJson:
    """
    JSON text to be written into the record as it is, instead of being parsed and serialized again (the costly
    part of a record). Only used for text that is strict JSON, on one line, with no escapes that could spell a
    secret another way (`\\u`, `\\/`, looked for only where there are secrets to hide), and holding no known
    secret: then the text is exactly what the parsed value would give once scrubbed. Kept as the UTF-8 bytes that
    came: the record line is bytes too, so the body is copied once, into the line.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data


JSON_WHITESPACE = b" \t\n\r"  # bytes.strip() alone would also take what JSON does not allow (\v, \f)


def writable_as_sent(data: bytes, secret_forms: list[str]) -> bool:
    """Whether JSON text may go into the record as it is (RawJson): one line, and no known secret in it."""
    if b"\n" in data or b"\r" in data:
        return False
    # Escapes matter only where there is a secret they could spell another way; a two-byte search costs a
    # millisecond per megabyte, a search for one backslash a twentieth of that.
    if secret_forms and b"\\" in data and (b"\\u" in data or b"\\/" in data):
        return False
    return not contains_secret(data, secret_forms)


def json_body(decoded: bytes, secret_forms: list[str]) -> RawJson | Any | None:
    """The body as JSON (RawJson when it can be written as it is), or None when it is not strict JSON."""
    data = decoded.strip(JSON_WHITESPACE)
    if writable_as_sent(data, secret_forms):
        return RawJson(data) if is_strict_json(data) else None
    try:
        return parse_json(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def request_body_fields(
    raw: bytes, encoding: str | None, body_bytes: int, secrets: set[str], forms: list[str]
) -> dict[str, Any]:
    """
    Size and hash of the body as sent (still encoded), then either `request_json` (the decoded body is strict
    JSON) or a copy: decoded, scrubbed of every known secret, and only then cut to `body_bytes`.
    """
    fields: dict[str, Any] = {
        "request_body_size": len(raw),
        "request_body_sha256": sha256_hex(raw),
        "request_content_encoding": encoding,
    }
    if not raw:
        return fields
    try:
        decoded = decode_content(raw, encoding)
    except DecodeError:
        return fields  # no copy: the bytes as sent could hide a secret we cannot see
    body = json_body(decoded, forms)
    if body is not None:
        fields["request_json"] = body
        return fields
    copy = scrub_bytes(decoded, secrets)
    fields["request_body_b64"] = base64.b64encode(copy[:body_bytes]).decode("ascii")
    fields["request_body_truncated"] = len(copy) > body_bytes
    fields["request_body_decoded"] = decoded is not raw
    return fields
