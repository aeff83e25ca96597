"""
The shared redaction vectors (schema/redaction-vectors.json), which the analyzer's tests run too, and property
tests: a canary placed anywhere a secret travels (header names and values, query strings, bodies) never reaches
a record.
"""

import base64
import gzip
import json
import string
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom_capture.options import Config
from headroom_capture.record import ExchangeSnapshot, build_line
from headroom_capture.redact import redact_header_fields, redact_query, scrub_bytes

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "schema" / "redaction-vectors.json").read_text())


@pytest.mark.parametrize("case", VECTORS["headers"], ids=lambda c: f"{c['name']}={c['value']!r}")
def test_header_vectors(case: dict[str, str]) -> None:
    fields = [(case["name"].encode(), case["value"].encode())]
    assert redact_header_fields(fields, set()) == {case["name"]: case["expected"]}


@pytest.mark.parametrize("case", VECTORS["queries"], ids=lambda c: repr(c["query"]))
def test_query_vectors(case: dict[str, str]) -> None:
    assert redact_query(case["query"], set()) == case["expected"]


@pytest.mark.parametrize("case", VECTORS["bodies"], ids=lambda c: repr(c["body"][:30]))
def test_body_vectors(case: dict[str, Any]) -> None:
    secrets: set[str] = set()
    redact_header_fields([(n.encode(), v.encode()) for n, v in case["headers"]], secrets)
    redact_query(case["query"], secrets)
    assert scrub_bytes(case["body"].encode(), secrets).decode() == case["expected"]


# --- property tests ---------------------------------------------------------------------------------------------

# Canaries: long enough to be searched for, never shaped like a real key.
CANARY_CHARS = string.ascii_letters + string.digits + "-_.~+/=:@!$'()*"
canaries = st.text(CANARY_CHARS, min_size=12, max_size=40).map(lambda s: f"CANARY{s}")
SENSITIVE_PARTS = ("authorization", "api-key", "apikey", "token", "secret", "cookie")
# Header names: a sensitive part with something around it, in any case (drawn from lists: cheap to generate).
NAME_AFFIXES = ("", "x-", "X-", "proxy-", "x-goog-", "Client-", "-v2", "_id", "s", "2")
sensitive_header_names = st.builds(
    lambda before, part, after, case: getattr(before + part + after, case)(),
    st.sampled_from(NAME_AFFIXES),
    st.sampled_from(SENSITIVE_PARTS),
    st.sampled_from(NAME_AFFIXES),
    st.sampled_from(("lower", "upper", "title", "strip")),
)
# How a secret is carried in a header value.
header_values = st.sampled_from(
    [
        "{c}",
        "Bearer {c}",
        "Basic {c}",
        "a=1; sid={c}",
        'sid="{c}"; Path=/',
        "{c}, other-value",
        "  {c}  ",
    ]
)
KEY_AFFIXES = ("", "api_", "access_", "X-Amz-", "client_", "_id", "s", "Id")
sensitive_query_keys = st.builds(
    lambda before, part, after: before + part + after,
    st.sampled_from(KEY_AFFIXES),
    st.sampled_from(("key", "token", "secret", "signature", "code", "KEY", "Token")),
    st.sampled_from(KEY_AFFIXES),
)
# Where a canary sits in a body, and how the body is sent.
body_placements = st.sampled_from(
    [
        ("json", '{{"messages":[{{"role":"user","content":"use {c} please"}}]}}'),
        ("json", '{{"{c}":1}}'),
        ("json", '{{"system":[{{"type":"text","text":"{c}"}}],"metadata":{{"user_id":"{c}"}}}}'),
        ("json", '{{\n  "pretty": "{c}"\n}}'),
        ("text", "{c}"),
        ("text", "prefix {c} suffix"),
        ("form", "grant_type=x&refresh={c}"),
    ]
)


def config(body_bytes: int) -> Config:
    return Config(
        lane="property",
        output=Path("/nonexistent/property.jsonl"),
        include_hosts=None,
        body_bytes=body_bytes,
        proxy_token="",
        proxy_token_hosts=frozenset(),
    )


def json_string_body(text: str) -> str:
    return json.dumps(text)[1:-1]


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    canary=canaries,
    name=sensitive_header_names,
    value=header_values,
    key=sensitive_query_keys,
    in_query=st.booleans(),
    encode_query=st.booleans(),
    placement=body_placements,
    gzip_body=st.booleans(),
    body_bytes=st.sampled_from([0, 5, 17, 64, 100_000]),
)
def test_no_canary_reaches_a_record(
    canary: str,
    name: str,
    value: str,
    key: str,
    in_query: bool,
    encode_query: bool,
    placement: tuple[str, str],
    gzip_body: bool,
    body_bytes: int,
) -> None:
    kind, template = placement
    filled = template.format(c=json_string_body(canary) if kind == "json" else canary)
    body = filled.encode()
    headers = [(b"content-type", b"application/json" if kind == "json" else b"text/plain")]
    if in_query:
        query_value = quote(canary, safe="") if encode_query else canary.replace("&", "").replace("#", "")
        url = f"https://api.example.test/v1/messages?beta=true&{key}={query_value}"
        if not encode_query and query_value != canary:
            return  # the canary cannot stand raw in a query; the encoded case covers it
    else:
        url = "https://api.example.test/v1/messages?beta=true"
        headers.append((name.encode(), value.format(c=canary).encode()))
    if gzip_body:
        body = gzip.compress(body)
        headers.append((b"content-encoding", b"gzip"))
    snapshot = ExchangeSnapshot(
        sequence=1,
        timestamp=0.0,
        method="POST",
        url=url,
        host="api.example.test",
        http_version="HTTP/1.1",
        request_headers=tuple(headers),
        request_raw=body,
        response=None,
        streamed=False,
        first_chunk_at=None,
        ended_at=0.0,
    )
    line = build_line(config(body_bytes), snapshot, None).decode("utf-8")
    record = json.loads(line)
    stored = base64.b64decode(record.get("request_body_b64", "")).decode("utf-8", "replace")
    for text in (line, stored, json.dumps(record, ensure_ascii=False)):
        assert canary not in text
        assert quote(canary, safe="") not in text
