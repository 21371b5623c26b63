"""``ar-live-studio [start|stop|status|restart|logs] [--no-gui]`` (also ``./start_all.sh``)."""

from __future__ import annotations

import argparse
import sys

from ar_live_studio.launcher import Launcher
from shared.places import find_places


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ar-live-studio",
        description="Start, stop and watch AR Live Studio's services: the monitor (5500), the "
        "backend (5501) and, where there is a display, the window (5502).",
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="start",
        choices=["start", "stop", "status", "restart", "logs", "paths"],
        help="start (the default), stop, status, restart, logs (follow them), paths (where "
        "the config, data and logs are)",
    )
    parser.add_argument("--no-gui", action="store_true", help="start the services only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    launcher = Launcher(find_places(), gui=not args.no_gui)
    if args.command == "restart":
        launcher.stop()
        return launcher.start()
    run = {
        "start": launcher.start,
        "stop": launcher.stop,
        "status": launcher.status,
        "logs": launcher.logs,
        "paths": launcher.paths,
    }
    return run[args.command]()


if __name__ == "__main__":
    sys.exit(main())
