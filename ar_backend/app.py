"""The backend's Flask app factory."""

from __future__ import annotations

from flask import Flask

from ar_backend.api import camera, health, outputs
from ar_backend.config import BackendConfig
from ar_backend.outputs.sinks import OutputUnavailable
from ar_backend.sources import BadSpec, SourceError
from ar_backend.studio import NotRunning, PathNotAllowed, Studio
from shared.api import (
    MAX_BODY_BYTES,
    error_response,
    install_api_key_check,
    install_cors,
    install_error_handlers,
    install_request_id,
)
from shared.sysmetrics import SystemMetricsSampler


def _is_open(method: str, path: str) -> bool:
    """Reads stay open (the server binds loopback by default); control needs the key."""
    return method in ("GET", "HEAD")


def create_app(
    config: BackendConfig,
    *,
    studio: Studio | None = None,
    sampler: SystemMetricsSampler | None = None,
) -> Flask:
    """Build the app around a Studio (made here unless given; its owner closes it)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    studio = studio or Studio(config)
    app.extensions["ar_backend"] = studio
    app.extensions["ar_backend_sampler"] = sampler or SystemMetricsSampler(interval=2.0)
    app.extensions["ar_backend_registry"] = health.make_registry(studio)

    install_request_id(app)
    install_error_handlers(app)
    install_api_key_check(app, config.security, _is_open)
    install_cors(app, config.cors)

    @app.errorhandler(BadSpec)
    def _bad_spec(exc: BadSpec):  # type: ignore[no-untyped-def]
        return error_response(400, str(exc), "source")

    @app.errorhandler(SourceError)
    def _source(exc: SourceError):  # type: ignore[no-untyped-def]
        return error_response(503, f"cannot open the source: {exc}", "source")

    @app.errorhandler(PathNotAllowed)
    def _path(exc: PathNotAllowed):  # type: ignore[no-untyped-def]
        return error_response(403, str(exc), "source" if "media" in str(exc) else "file_name")

    @app.errorhandler(NotRunning)
    def _not_running(exc: NotRunning):  # type: ignore[no-untyped-def]
        return error_response(409, str(exc))

    @app.errorhandler(OutputUnavailable)
    def _output(exc: OutputUnavailable):  # type: ignore[no-untyped-def]
        return error_response(503, str(exc))

    for module in (health, camera, outputs):
        app.register_blueprint(module.bp)
    return app
