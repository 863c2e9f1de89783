#!/usr/bin/env python3
"""Local AWS emulator for bedrock-baseline: moto's server plus our plugin.

    python server.py --host 127.0.0.1 --port 5000

Runs in the foreground (werkzeug, threaded, every moto service, like
``moto_server``), prints ``emulator listening on http://HOST:PORT`` once the
socket accepts connections, and exits cleanly on SIGTERM / SIGINT.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when standard input closes (a test process that started us has exited)",
    )
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the emulator binds to a loopback address only")
    host = "127.0.0.1" if args.host == "localhost" else args.host

    # Fake, fixed environment: never talk to real AWS.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    import baseline_plugin

    baseline_plugin.install()
    app = DomainDispatcherApplication(create_backend_app)
    app = baseline_plugin.wrap(app)

    server = make_server(host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    server.daemon_threads = True

    def stop(signum, frame):  # noqa: ARG001
        # shutdown() blocks until serve_forever returns: run it off the main thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.exit_on_stdin_eof:

        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop(None, None)

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"emulator listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
