"""Command line: python -m google_emulator --host 127.0.0.1 --port 8081 [--demo] ..."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from . import demo
from .persistence import StateFile
from .server import EmulatorServer
from .state import EmulatorState


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m google_emulator",
        description="Local emulator of Google OAuth 2.0, Calendar v3 and push notifications.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--state-file", help="keep the state in this JSON file")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="register this redirect URI for --client-id, or for the demo client (repeatable)",
    )
    parser.add_argument("--user", action="append", default=[], help="email (repeatable)")
    parser.add_argument("--time-zone", default="Australia/Sydney", help="for --user accounts")
    parser.add_argument("--demo", action="store_true", help="seed the demo client and user")
    parser.add_argument("--log-requests", action="store_true")
    args = parser.parse_args(argv)
    if args.client_id and not args.client_secret:
        parser.error("--client-id needs --client-secret")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    state = EmulatorState()
    state_file = StateFile(state, args.state_file) if args.state_file else None
    if state_file is not None:
        state_file.load()
    server = EmulatorServer(args.host, args.port, state, log_requests=args.log_requests)
    server.start()
    if args.client_id:
        state.add_client(args.client_id, args.client_secret, args.redirect_uri)
    for email in args.user:
        state.add_user(email, time_zone=args.time_zone)
    if args.demo:
        # Without --client-id the redirect URIs are the demo client's: `make run` on any port.
        demo.seed(state, [] if args.client_id else args.redirect_uri)
    if state_file is not None:
        state_file.start()

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    print(f"Google emulator listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if state_file is not None:
            state_file.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
