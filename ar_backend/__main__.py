"""``python -m ar_backend [--config F] [--host H] [--port P] [--source SPEC] [--monitor-url U]``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ar_backend import SERVICE_NAME, __version__
from ar_backend.app import create_app
from ar_backend.config import BackendConfig, load_backend_config
from ar_backend.sources import SourceError
from ar_backend.studio import Studio, check_names
from shared.cli import add_server_args, config_path, server_overrides, settle
from shared.config import ConfigError
from shared.logs import setup_logging
from shared.places import Places, absolute, find_places
from shared.ports import PortInUse, ensure_port_free
from shared.sysmetrics import SystemMetricsSampler
from shared.wsgi import Worker, serve

if TYPE_CHECKING:
    from shared.heartbeat import HeartbeatSender

log = logging.getLogger("ar_backend")
DEFAULT_CONFIG = "config/backend.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ar_backend", description=__doc__)
    add_server_args(parser, DEFAULT_CONFIG, 5501)
    parser.add_argument(
        "--source",
        help="camera source: auto, a device index, a video or image file (any path), a URL, demo",
    )
    parser.add_argument("--no-autostart", action="store_true", help="wait for /camera/start")
    parser.add_argument("--monitor-url", help="yl_monitor URL for heartbeats")
    parser.add_argument("--no-monitor", action="store_true", help="send no heartbeats")
    parser.add_argument("--version", action="version", version=f"ar_backend {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, places: Places | None = None) -> int:
    args = parse_args(argv)
    if places is not None:
        if args.source and Path(args.source).exists():  # a file named from where it was typed
            args.source = absolute(args.source)
        settle(args, places, "backend.yaml")
    cfg_path = config_path(args, DEFAULT_CONFIG)
    overrides = server_overrides(args)
    if args.monitor_url:
        overrides.setdefault("monitor", {})["url"] = args.monitor_url
    if args.no_monitor:
        overrides.setdefault("monitor", {})["enabled"] = False
    try:
        config = load_backend_config(cfg_path, overrides=overrides)
        check_names(config)  # processors, engine, effects: a typo is exit 2 naming the key
    except ConfigError as exc:
        print(f"ar_backend: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.logging)
    _quiet_opencv()
    _opencv_threads(config.pipeline.opencv_threads)
    try:
        ensure_port_free(config.server.host, config.server.port)
    except PortInUse as exc:
        log.error("%s", exc)
        return 3
    studio = Studio(config, default_source=args.source)
    sampler = SystemMetricsSampler(interval=2.0)
    app = create_app(config, studio=studio, sampler=sampler)
    if not args.no_autostart:
        try:
            # the command line may name any file; the API only the media folders
            studio.camera_start(args.source, from_api=False)
        except SourceError as exc:
            log.error("camera not started: %s (the API keeps serving; POST /camera/start)", exc)
    sender = _heartbeats(config, studio)
    sampler.start()
    log.info("%s %s, config %s", SERVICE_NAME, __version__, cfg_path or "defaults")

    def reload() -> None:
        new = load_backend_config(cfg_path, overrides=overrides)  # ConfigError: kept old
        check_names(new)
        applied = studio.apply_reload(new)
        setup_logging(new.logging)
        log.info("configuration reloaded: applied %s", ", ".join(applied) or "nothing new")

    def make_worker(_index: int) -> Worker:
        return Worker(
            app, cleanup=lambda: None, on_signal=studio.pipeline.output.close, on_reload=reload
        )

    try:
        # one process: it owns the camera
        status = serve(make_worker, config.server, name=SERVICE_NAME, workers=1)
    finally:
        if sender is not None:
            sender.stop()
        sampler.stop()
        studio.close()
        log.info("%s stopped: capture released, outputs closed", SERVICE_NAME)
    return status


def _heartbeats(config: BackendConfig, studio: Studio) -> HeartbeatSender | None:
    link = config.monitor
    if not link.enabled:
        return None
    try:
        from shared.heartbeat import HeartbeatSender
    except ImportError:
        return None

    def payload() -> dict[str, Any]:
        status = studio.status().model_dump(exclude_unset=True)
        return {
            "status": status["status"],
            "camera": {
                k: status["camera"][k] for k in ("state", "source", "fps_in", "fps_out", "error")
            },
            "camera_access": status["camera_access"],  # (a camera this user may not open)
            "pipeline": status["pipeline"],
            "audio": status["audio"],
            "outputs": status["outputs"],
            "face": status["face_modules"],
            # the quality governor: what it has turned down to hold the rate, and why
            "governor": {k: status["governor"][k] for k in ("enabled", "summary", "steps", "note")},
            "jobs": status["jobs"],  # a backend rendering a file is busy, not stuck
        }

    sender = HeartbeatSender(
        monitor_url=link.url,
        node_id=link.node_id,
        node_name=link.node_name,
        node_type="ar-backend",
        interval=link.report_interval,
        payload=payload,
        api_key=link.api_key,
        timeout=link.timeout,
        max_retries=link.max_retries,
        retry_delay=link.retry_delay,
        version=__version__,
    )
    sender.start()
    return sender


def _quiet_opencv() -> None:
    import cv2

    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


LIVE_THREADS = 3  # the live path's busy threads: process, prepare and occlusion


def opencv_threads(setting: int, cpus: int | None) -> int:
    """OpenCV's worker threads for ``pipeline.opencv_threads`` on a machine of ``cpus``
    cores: the setting, or (0) the cores the live path leaves, at least 1."""
    return setting if setting > 0 else max(1, (cpus or 1) - LIVE_THREADS)


def _opencv_threads(setting: int) -> None:
    import os

    import cv2

    threads = opencv_threads(setting, os.cpu_count())
    cv2.setNumThreads(threads)
    log.info("OpenCV works on %d thread%s", threads, "" if threads == 1 else "s")


def cli() -> int:
    """``ar-backend``: main() with the app's folders (config, data, models: shared/places.py)."""
    return main(places=find_places())


if __name__ == "__main__":
    sys.exit(main())
