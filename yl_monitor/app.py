"""The monitor's Flask app factory."""

from __future__ import annotations

from flask import Flask

from shared.api import map_errors, new_app
from shared.metrics import use_collectors
from shared.openapi import install_openapi
from shared.timeutil import Clock
from shared.workerstats import WorkerStats
from yl_monitor import __version__
from yl_monitor.api import alerts, dashboard, health, metrics, nodes
from yl_monitor.config import MonitorConfig
from yl_monitor.ingest import QueueFull, StorageFailed
from yl_monitor.monitor import AlertNotFound, Conflict, Invalid, Monitor, NodeNotFound
from yl_monitor.sinks import BeatSink
from yl_monitor.store import Store, StoreRefused, StoreUnavailable

OPEN_PATHS = ("/api/health", "/", "/favicon.ico", "/openapi.json", "/docs")


def _is_open(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and (path in OPEN_PATHS or path.startswith("/static/"))


def create_app(
    config: MonitorConfig,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    stats: WorkerStats | None = None,
    sink: BeatSink | None = None,
) -> Flask:
    """Build the app and its Monitor (not started: the owner calls ``monitor.start()``).

    The Monitor is at ``app.extensions["yl_monitor"]``.
    """
    app = new_app(__name__, config.security, config.cors, _is_open, config.server.host)
    if store is None:
        store = Store.from_url(config.storage.url, config.storage.sqlite_synchronous)
    monitor = Monitor(config, store, clock, stats, sink)
    app.extensions["yl_monitor"] = monitor
    use_collectors(app, metrics.MonitorCollector(monitor))
    map_errors(
        app,
        {
            NodeNotFound: (404, None),
            AlertNotFound: (404, None),
            Conflict: (409, None),
            QueueFull: (503, None),
            StorageFailed: (503, None),
            StoreUnavailable: (503, None),
            StoreRefused: (422, "body"),
            Invalid: (400, None),
        },
    )
    for module in (health, nodes, alerts, metrics, dashboard):
        app.register_blueprint(module.bp)
    install_openapi(
        app,
        title="yl_monitor",
        version=__version__,
        description="AR Live Studio's monitor: heartbeats, node states, alerts.",
        api_key=config.security.api_key_enabled,
    )
    return app
