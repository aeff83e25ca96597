"""
Capture one lane's API traffic as sanitized JSON lines, without changing that traffic.

Each lane of the differential capture is a plain `mitmdump -s addons/mitm_capture.py`. This addon decides what
reaches disk: one line per finished HTTP exchange (schema/capture-record.v1.schema.json) with headers, sizes,
hashes, the request JSON, the status, Anthropic token usage, timings and failures, so that two lanes can be
compared request by request.

This file is the entry point mitmdump loads; the addon lives in the `headroom_capture` package next to it (see
its __init__ for the modules). Settings are mitmproxy options (`--set capture_lane=direct`, listed by `mitmdump -s
addons/mitm_capture.py --options` on mitmproxy 12.2.2 and later, by `python addons/mitm_capture.py --options` on any)
whose defaults come from the CAPTURE_* environment variables; see addons/README.md.
"""

from headroom_capture.addon import Capture

addons = [Capture()]

if __name__ == "__main__":
    # `python3 addons/mitm_capture.py --options`: the capture options as `mitmdump --options` lists them, for the
    # mitmdump versions (before mitmproxy 12.2.2) that print their list before they load `-s` scripts.
    import sys

    from headroom_capture.addon import describe_options

    sys.stdout.write(describe_options())
