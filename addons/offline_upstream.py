"""Point a lane's upstream connections somewhere else, without touching the traffic.

The offline demo has no api.anthropic.com. Claude Code (or the proxy) still asks for it through the lane's
mitmproxy, and this addon connects that request to the mock API instead. Only the TCP destination changes:
SNI, Host, headers and every body byte stay exactly as the client sent them, so the capture is the one a
real run would produce.

    OFFLINE_UPSTREAM_MAP="api.anthropic.com=127.0.0.1:8443[,other.host=host:port]"

Loaded next to the capture addon, with lazy upstream connections so that the request's URL is still the
one the client asked for when the connection is made:

    mitmdump -s mitm_capture.py -s offline_upstream.py --set connection_strategy=lazy
"""

import logging
import os

from mitmproxy.proxy import server_hooks

logger = logging.getLogger(__name__)

Address = tuple[str, int]


def parse_map(spec: str) -> dict[str, Address]:
    """Parse `host=target:port,...`; raise ValueError naming the bad entry."""
    routes: dict[str, Address] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        host, sep, target = entry.partition("=")
        target_host, colon, port = target.rpartition(":")
        if not sep or not colon or not host or not target_host or not port.isdigit():
            raise ValueError(f"OFFLINE_UPSTREAM_MAP entry {entry!r} is not host=target:port")
        routes[host.strip().lower()] = (target_host, int(port))
    return routes


class OfflineUpstream:
    def __init__(self) -> None:
        self.routes: dict[str, Address] = {}

    def load(self, loader: object) -> None:
        self.routes = parse_map(os.environ.get("OFFLINE_UPSTREAM_MAP", ""))
        for host, (target, port) in self.routes.items():
            logger.info("offline upstream: %s -> %s:%d", host, target, port)

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        if data.server.address is None:
            return
        host, _port = data.server.address[0], data.server.address[1]
        route = self.routes.get(str(host).lower())
        if route is not None:
            if data.server.sni is None:
                data.server.sni = str(host)
            data.server.address = route


addons = [OfflineUpstream()]
