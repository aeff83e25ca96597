"""
The addon's settings as mitmproxy options (`--set capture_lane=direct`), with the CAPTURE_* environment variables as
their defaults, and the checks that turn them into one Config.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_INCLUDE_HOSTS = "api.anthropic.com"
DEFAULT_BODY_BYTES = 262144
DEFAULT_PROXY_TOKEN_HOSTS = "headroom-proxy"

LANE_FOR_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: safe as one header value


class ConfigError(ValueError):
    """A setting that cannot work; the message names the option (and its variable) and says what is wrong."""


@dataclass(frozen=True)
class OptionSpec:
    name: str  # the mitmproxy option
    env: str  # the environment variable giving its default
    default: str
    help: str
    # A secret's variable is read when the option is empty, and is not made the option's default: mitmproxy shows
    # option defaults (`mitmdump --options` on mitmproxy >= 12.2.2, mitmweb's and mitmproxy's option editors).
    secret: bool = False

    @property
    def option_help(self) -> str:
        """The option's help as mitmproxy lists it."""
        if self.secret:
            return f"{self.help} Default: ${self.env}, read when this option is empty and never shown."
        return f"{self.help} Default: ${self.env}."

    @property
    def label(self) -> str:
        """How a message names the setting: both spellings, since a user may have used either."""
        return f"{self.name} ({self.env})"


OPTIONS = (
    OptionSpec("capture_lane", "CAPTURE_LANE", "", "Lane name written in every record (direct, headroom-client, ...)."),
    OptionSpec("capture_output", "CAPTURE_OUTPUT", "", "The capture file (JSONL); default /captures/<lane>.jsonl."),
    OptionSpec(
        "capture_include_hosts",
        "CAPTURE_INCLUDE_HOSTS",
        DEFAULT_INCLUDE_HOSTS,
        "Comma-separated hosts to record, case-insensitive; * records every host.",
    ),
    OptionSpec(
        "capture_body_bytes",
        "CAPTURE_BODY_BYTES",
        str(DEFAULT_BODY_BYTES),
        "Cap in bytes on the body copy kept for non-JSON request bodies; 0 keeps none.",
    ),
    OptionSpec(
        "capture_proxy_token",
        "CAPTURE_PROXY_TOKEN",
        "",
        "Token sent as X-Headroom-Proxy-Token to capture_proxy_token_hosts; never stored.",
        secret=True,
    ),
    OptionSpec(
        "capture_proxy_token_hosts",
        "CAPTURE_PROXY_TOKEN_HOSTS",
        DEFAULT_PROXY_TOKEN_HOSTS,
        "Comma-separated hosts that get the proxy token.",
    ),
)
SPECS = {spec.name: spec for spec in OPTIONS}


@dataclass(frozen=True)
class Config:
    lane: str
    output: Path
    include_hosts: frozenset[str] | None  # None: every host
    body_bytes: int
    proxy_token: str  # "" when no token is added
    proxy_token_hosts: frozenset[str]


def defaults_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each option's default: its environment variable when set and not empty, else the built-in default."""
    source = os.environ if env is None else env
    return {spec.name: source.get(spec.env, "").strip() or spec.default for spec in OPTIONS}


def option_defaults(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The defaults the options are registered with: from the environment, but never a secret's value."""
    return {name: "" if SPECS[name].secret else value for name, value in defaults_from_env(env).items()}


def with_secrets_from_env(values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The option values, each empty secret filled from its environment variable."""
    defaults = defaults_from_env(env)
    return {
        name: defaults[name] if name in SPECS and SPECS[name].secret and not str(value or "").strip() else value
        for name, value in values.items()
    }


def config_from_env(env: Mapping[str, str]) -> Config:
    """The configuration the environment alone gives (no `--set`)."""
    return config_from_options(defaults_from_env(env))


def config_from_options(values: Mapping[str, Any]) -> Config:
    """Check the option values; raise ConfigError with one clear sentence when one is wrong."""
    lane = str(values.get("capture_lane") or "").strip()
    if not lane:
        label = SPECS["capture_lane"].label
        raise ConfigError(f"{label} is not set: name the lane this proxy captures (e.g. direct, headroom-client)")
    output_value = str(values.get("capture_output") or "").strip()
    if output_value:
        output = Path(output_value)
    elif LANE_FOR_PATH.fullmatch(lane):
        output = Path("/captures") / f"{lane}.jsonl"
    else:
        raise ConfigError(
            f"{SPECS['capture_lane'].label} = {lane!r} cannot name a file (letters, digits, '.', '_', '-'): "
            f"choose another lane name or set {SPECS['capture_output'].label}"
        )
    if output.is_dir():
        raise ConfigError(
            f"{SPECS['capture_output'].label} = {str(output)!r} is a directory; give the path of a .jsonl file"
        )
    return Config(
        lane=lane,
        output=output,
        include_hosts=parse_hosts("capture_include_hosts", values, allow_all=True),
        body_bytes=parse_body_bytes(str(values.get("capture_body_bytes") or "").strip()),
        proxy_token=parse_proxy_token(str(values.get("capture_proxy_token") or "")),
        proxy_token_hosts=parse_hosts("capture_proxy_token_hosts", values) or frozenset(),
    )


def parse_body_bytes(value: str) -> int:
    if not value:
        return DEFAULT_BODY_BYTES
    if not value.isascii() or not value.isdigit():
        raise ConfigError(
            f"{SPECS['capture_body_bytes'].label} = {value!r} is not a whole number of bytes "
            "(e.g. 262144; 0 stores no body copy)"
        )
    return int(value)


def parse_proxy_token(value: str) -> str:
    token = value.strip()
    if token and not TOKEN_CHARS.fullmatch(token):
        # Never echo the value: it is a secret.
        raise ConfigError(
            f"{SPECS['capture_proxy_token'].label} holds characters that cannot go in a header (only visible ASCII)"
        )
    return token


def parse_hosts(name: str, values: Mapping[str, Any], allow_all: bool = False) -> frozenset[str] | None:
    """A comma list of host names, lower-cased; None means every host (`*`, where allowed)."""
    spec = SPECS[name]
    value = str(values.get(name) or "").strip() or spec.default
    hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
    if not hosts:
        raise ConfigError(f"{spec.label} = {value!r} lists no host")
    if "*" in hosts:
        if not allow_all:
            raise ConfigError(f"{spec.label} does not accept '*': list the host names")
        return None
    for host in hosts:
        has_port = host.count(":") == 1 or (host.startswith("[") and "]:" in host)
        if "/" in host or has_port or any(c.isspace() for c in host):
            raise ConfigError(
                f"{spec.label}: {host!r} is not a host name (no scheme, port or path, e.g. api.anthropic.com)"
            )
    return frozenset(h.strip("[]").rstrip(".") for h in hosts)
