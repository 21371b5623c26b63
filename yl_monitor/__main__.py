"""``python -m yl_monitor [--config FILE] [--host H] [--port P] [--db URL]``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from shared.config import ConfigError
from shared.logs import setup_logging
from shared.ports import PortInUse, ensure_port_free
from shared.wsgi import serve
from yl_monitor import SERVICE_NAME, __version__
from yl_monitor.app import create_app
from yl_monitor.config import load_monitor_config

log = logging.getLogger("yl_monitor")
DEFAULT_CONFIG = Path("config/monitor.yaml")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m yl_monitor", description=__doc__)
    parser.add_argument("--config", help="YAML config file (default: config/monitor.yaml)")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 5500)")
    parser.add_argument("--db", help="SQLAlchemy URL: sqlite:///path.db or postgresql://...")
    parser.add_argument("--no-checks", action="store_true", help="do not poll other services")
    parser.add_argument("--version", action="version", version=f"yl_monitor {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config_path = args.config or (str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else None)
    overrides: dict = {}
    if args.host:
        overrides.setdefault("server", {})["host"] = args.host
    if args.port:
        overrides.setdefault("server", {})["port"] = args.port
    if args.db:
        overrides.setdefault("storage", {})["url"] = args.db
    if args.no_checks:
        overrides.setdefault("checks", {})["enabled"] = False
    try:
        config = load_monitor_config(config_path, overrides=overrides)
    except ConfigError as exc:
        print(f"yl_monitor: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.logging)
    try:
        ensure_port_free(config.server.host, config.server.port)
    except PortInUse as exc:
        log.error("%s", exc)
        return 3
    app = create_app(config)
    monitor = app.extensions["yl_monitor"]
    monitor.start()
    log.info(
        "%s %s: store %s, config %s",
        SERVICE_NAME,
        __version__,
        monitor.store.dialect,
        config_path or "defaults",
    )
    try:
        serve(app, config.server, name=SERVICE_NAME)
    finally:
        monitor.stop()
        log.info("%s stopped; every accepted beat is committed", SERVICE_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
