"""Command line: python -m devmail --smtp-port 8025 --web-port 8026 [--store FILE]."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from werkzeug.serving import make_server

from devmail.smtp import MailServer
from devmail.store import MailStore
from devmail.web import create_web


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m devmail", description="A local SMTP server that keeps what it receives."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--web-port", type=int, default=8026)
    parser.add_argument("--store", help="keep the mails in this JSON file too")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Receive mail and serve the page until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = MailStore(Path(args.store) if args.store else None)
    smtp = MailServer(store, args.host, args.smtp_port).start()
    web = make_server(args.host, args.web_port, create_web(store), threaded=True)
    logging.getLogger("devmail").info(
        "SMTP on %s:%d, mail page on http://%s:%d/",
        args.host,
        args.smtp_port,
        args.host,
        args.web_port,
    )
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        smtp.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
