"""The monitor's Flask app factory."""

from __future__ import annotations

from flask import Flask

from shared.api import (
    MAX_BODY_BYTES,
    error_response,
    install_api_key_check,
    install_cors,
    install_error_handlers,
    install_request_id,
)
from shared.timeutil import Clock
from shared.workerstats import WorkerStats
from yl_monitor.api import alerts, dashboard, health, metrics, nodes
from yl_monitor.config import MonitorConfig
from yl_monitor.ingest import QueueFull, StorageFailed
from yl_monitor.monitor import Conflict, Monitor, NotFound
from yl_monitor.sinks import BeatSink
from yl_monitor.store import Store

OPEN_PATHS = ("/api/health", "/", "/favicon.ico")


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
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if store is None:
        store = Store.from_url(config.storage.url, config.storage.sqlite_synchronous)
    monitor = Monitor(config, store, clock, stats, sink)
    app.extensions["yl_monitor"] = monitor
    app.extensions["yl_monitor_registry"] = metrics.make_registry(monitor)

    install_request_id(app)
    install_error_handlers(app)
    install_api_key_check(app, config.security, _is_open)
    install_cors(app, config.cors)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):  # type: ignore[no-untyped-def]
        return error_response(404, str(exc))

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict):  # type: ignore[no-untyped-def]
        return error_response(409, str(exc))

    @app.errorhandler(QueueFull)
    def _queue_full(exc: QueueFull):  # type: ignore[no-untyped-def]
        return error_response(503, f"heartbeat queue is full, retry shortly: {exc}")

    @app.errorhandler(StorageFailed)
    def _storage(exc: StorageFailed):  # type: ignore[no-untyped-def]
        return error_response(503, f"heartbeat not stored, retry: {exc}")

    for module in (health, nodes, alerts, metrics, dashboard):
        app.register_blueprint(module.bp)
    return app
