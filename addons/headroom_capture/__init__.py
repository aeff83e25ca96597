"""
The capture addon's modules, one concern each. `addons/mitm_capture.py` is the entry point mitmdump loads
(`-s mitm_capture.py`); mitmproxy puts that script's folder on `sys.path`, so this package imports from there.

- options: the `capture_*` mitmproxy options (environment variables as defaults) and their checks
- redact: which header and query values are secret, and scrubbing known secrets from everything else
- bodies: bounded content decoding, JSON checks, the stored body copy
- usage: Anthropic token usage from a JSON body or an SSE stream
- errors: mitmproxy's failure text as a kind
- capture_file: appending whole lines, continuing an existing capture
- record: what a hook snapshots of an exchange, and the record built from it
- writer: the worker process that builds and appends records off mitmproxy's event loop
- addon: the mitmproxy hooks
"""
