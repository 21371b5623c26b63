"""``python -m yl_monitor [--config FILE] [--host H] [--port P] [--db URL]``."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable

from shared.cli import add_server_args, config_path, server_overrides, settle
from shared.config import ConfigError
from shared.logs import setup_logging
from shared.places import Places, find_places
from shared.ports import PortInUse, ensure_port_free
from shared.wsgi import Worker, resolve_workers, serve
from yl_monitor import SERVICE_NAME, __version__
from yl_monitor.app import create_app
from yl_monitor.config import load_monitor_config
from yl_monitor.ingest_process import run_ingest_server
from yl_monitor.monitor import Monitor, new_stats
from yl_monitor.sinks import RemoteSink
from yl_monitor.store import Store, make_url_safe

log = logging.getLogger("yl_monitor")
DEFAULT_CONFIG = "config/monitor.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m yl_monitor", description=__doc__)
    add_server_args(parser, DEFAULT_CONFIG, 5500)
    parser.add_argument("--db", help="SQLAlchemy URL: sqlite:///path.db or postgresql://...")
    parser.add_argument("--no-checks", action="store_true", help="do not poll other services")
    parser.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--version", action="version", version=f"yl_monitor {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, places: Places | None = None) -> int:
    args = parse_args(argv)
    if places is not None:
        settle(args, places, "monitor.yaml")
    cfg_path = config_path(args, DEFAULT_CONFIG)
    overrides = server_overrides(args)
    if args.db:
        overrides.setdefault("storage", {})["url"] = args.db
    if args.workers:
        overrides.setdefault("server", {})["workers"] = args.workers
    if args.no_checks:
        overrides.setdefault("checks", {})["enabled"] = False
    try:
        config = load_monitor_config(cfg_path, overrides=overrides)
    except ConfigError as exc:
        print(f"yl_monitor: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.logging)
    try:
        ensure_port_free(config.server.host, config.server.port)
    except PortInUse as exc:
        log.error("%s", exc)
        return 3
    workers = resolve_workers(config.server)
    # The schema is made once here, before any worker exists; each worker opens its own
    # connections after the fork.
    try:
        Store.from_url(config.storage.url, config.storage.sqlite_synchronous).close()
    except Exception as exc:
        log.error("cannot open the database %s: %s", make_url_safe(config.storage.url), exc)
        return 4
    stats = new_stats(workers)
    helpers: list[tuple[str, Callable[[], int]]] = []
    ingest_path: str | None = None
    if workers > 1 and make_url_safe(config.storage.url).startswith("sqlite"):
        # SQLite has one write lock: one ingest process does every heartbeat commit.
        ingest_path = os.path.join(tempfile.mkdtemp(prefix="yl-monitor-"), "ingest.sock")

        def ingest_main() -> int:
            store = Store.from_url(config.storage.url, config.storage.sqlite_synchronous)
            return run_ingest_server(ingest_path, store)

        helpers.append(("ingest", ingest_main))

    def make_worker(index: int) -> Worker:
        stats.bind(index)
        sink = RemoteSink(ingest_path) if ingest_path else None
        app = create_app(config, stats=stats, sink=sink)
        monitor: Monitor = app.extensions["yl_monitor"]
        primary = index == 0  # one worker evaluates states and polls the services
        monitor.start(evaluator=primary, checks=primary)

        def reload() -> None:
            new = load_monitor_config(cfg_path, overrides=overrides)  # ConfigError: kept old
            applied, restart = monitor.apply_reload(new)
            setup_logging(new.logging)
            log.info(
                "configuration reloaded (worker %d): applied %s%s",
                index,
                ", ".join(applied) or "nothing new",
                f"; {', '.join(restart)} need a restart" if restart else "",
            )

        return Worker(app, monitor.stop, on_reload=reload)

    log.info(
        "%s %s: store %s, config %s",
        SERVICE_NAME,
        __version__,
        make_url_safe(config.storage.url),
        cfg_path or "defaults",
    )
    status = serve(make_worker, config.server, name=SERVICE_NAME, workers=workers, helpers=helpers)
    if ingest_path:
        shutil.rmtree(os.path.dirname(ingest_path), ignore_errors=True)
    if status == 0:
        log.info("%s stopped; every accepted beat is committed", SERVICE_NAME)
    else:
        log.error("%s stopped with errors (exit status %d)", SERVICE_NAME, status)
    return status


def cli() -> int:
    """``yl-monitor``: main() with the app's folders (config, data: shared/places.py)."""
    return main(places=find_places())


if __name__ == "__main__":
    sys.exit(main())
