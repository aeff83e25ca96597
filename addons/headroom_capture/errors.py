"""mitmproxy's failure text mapped to a kind a user can filter on."""

ERROR_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("client_disconnected", ("client disconnected", "client closed", "client_closed")),
    ("tls", ("tls", "ssl", "certificate", "handshake")),
    ("timeout", ("timed out", "timeout")),
    (
        "upstream_connect",
        (
            "connect call failed",
            "connection refused",
            "error establishing server connection",
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no route to host",
            "network is unreachable",
            "connection killed:",
            "temporary failure in name resolution",
        ),
    ),
    (
        "protocol",
        (
            "protocol error",
            "cannot parse",
            "unexpected server response",
            "server closed connection",
            "refusing",
            "malformed",
            "invalid",
            "stream reset",
            "eof",
        ),
    ),
)


def classify_error(message: str) -> str:
    """Map mitmproxy's error text to one of: upstream_connect, tls, client_disconnected, timeout, protocol, other."""
    lowered = message.lower()
    for kind, needles in ERROR_KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return "other"
