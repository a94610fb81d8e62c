"""`python -m sim.dashboard [--host 127.0.0.1] [--port 8765]`: serve the dashboard and print its address.

Listens on this machine only unless another host is asked for. A port that is taken or out of range
is a user error: one line, exit status 2. Ctrl-C (or SIGTERM) stops the server and its worker
process with one line, "stopped", and exit status 128 + the signal's number.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence

from sim.cli import fail
from sim.errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        fail(message)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sim.dashboard", description="Serve the planners' dashboard.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        fail(f"--port {args.port}: a port number in 1..65535")
    try:
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    from sim.dashboard.app import Dashboard, create_app
    from sim.dashboard.compute import Worker

    try:
        board = Dashboard()
    except UserError as exc:
        fail(exc)
    board.worker = Worker()  # simulations in their own process: the page keeps answering while one runs
    # From here on a signal stops the worker too; set before the address is printed (the sign of being up)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # the server would swallow a KeyboardInterrupt and return as if done
    try:
        app = create_app(board)
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Handover planner: http://{host}:{args.port}/  (Ctrl+C stops it)", flush=True)
        app.run(host=args.host, port=args.port, debug=False, dev_tools_disable_version_check=True)
    finally:
        board.worker.close()


def _stop(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM: one line, then the `finally` above stops the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while stopping prints no traceback
    print("stopped", file=sys.stderr, flush=True)
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()
