"""
Anthropic token usage, from a JSON body or from a server-sent event stream read chunk by chunk.

The stream parser keeps at most one event in memory and decodes gzip/deflate in bounded pieces, so a long or
hostile stream costs time, not memory.
"""

import zlib
from collections.abc import Mapping
from typing import Any

from .bodies import parse_json

USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
# Largest single SSE event the usage parser keeps in memory; bigger events are skipped (never usage events).
MAX_SSE_EVENT_BYTES = 1 << 20


def normalize_usage(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage with the four token counts always present (a whole number >= 0, or None)."""
    usage = dict(raw)
    for name in USAGE_FIELDS:
        value = raw.get(name)
        usage[name] = value if type(value) is int and value >= 0 else None
    return usage


def usage_from_json_body(data: bytes) -> dict[str, Any] | None:
    try:
        body = parse_json(data)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        return normalize_usage(body["usage"])
    return None


class SseUsage:
    """
    Reads Anthropic usage from a server-sent event stream fed in arbitrary chunks:
    `message_start.message.usage`, then each `message_delta.usage` merged over it.
    Keeps at most one event in memory.
    """

    def __init__(self, content_encoding: str | None) -> None:
        self.usage: dict[str, Any] | None = None
        self.pending = b""
        self.data_lines: list[bytes] = []
        self.event_bytes = 0
        self.skipping_line = False
        self.decoder: Any = None
        encoding = (content_encoding or "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj()
        self.enabled = encoding in ("", "identity") or self.decoder is not None

    def feed(self, chunk: bytes) -> None:
        if not self.enabled:
            return
        if self.decoder is None:
            self.feed_text(chunk)
            return
        # Decompress in bounded pieces, so that a small chunk that inflates hugely never sits in memory whole.
        self.feed_text(self.decoder.decompress(chunk, MAX_SSE_EVENT_BYTES))
        while self.decoder.unconsumed_tail:
            self.feed_text(self.decoder.decompress(self.decoder.unconsumed_tail, MAX_SSE_EVENT_BYTES))

    def feed_text(self, data: bytes) -> None:
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        for line in lines:
            if self.skipping_line:
                self.skipping_line = False
                continue
            self.line(line.rstrip(b"\r"))
        if len(self.pending) > MAX_SSE_EVENT_BYTES:  # an endless line: drop it, resync at the next newline
            self.pending = b""
            self.skipping_line = True

    def line(self, line: bytes) -> None:
        if not line:
            self.dispatch()
        elif line.startswith(b"data:"):
            value = line[5:]
            value = value[1:] if value.startswith(b" ") else value
            self.event_bytes += len(value)
            if self.event_bytes <= MAX_SSE_EVENT_BYTES:
                self.data_lines.append(value)

    def dispatch(self) -> None:
        data, too_big = b"\n".join(self.data_lines), self.event_bytes > MAX_SSE_EVENT_BYTES
        self.data_lines, self.event_bytes = [], 0
        if not data or too_big:
            return
        try:
            event = parse_json(data)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "message_start":
            message = event.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            if isinstance(usage, dict):
                self.usage = normalize_usage({**(self.usage or {}), **usage})
        elif event.get("type") == "message_delta" and isinstance(event.get("usage"), dict):
            update = {k: v for k, v in event["usage"].items() if v is not None}
            self.usage = normalize_usage({**(self.usage or {}), **update})
