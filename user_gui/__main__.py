"""``python -m user_gui [--config F] [--backend-url U] [--monitor-url U] [--local-port P]
[--lang zh_CN|en]``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any

from shared.cli import add_config_arg, config_path, settle
from shared.config import ConfigError
from shared.logs import setup_logging
from shared.places import Places, find_places
from user_gui import __version__
from user_gui.app import i18n
from user_gui.config import load_gui_config

log = logging.getLogger("user_gui")
DEFAULT_CONFIG = "config/user_gui.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m user_gui", description=__doc__)
    add_config_arg(parser, DEFAULT_CONFIG)
    parser.add_argument("--backend-url", help="ar_backend URL (default http://127.0.0.1:5501)")
    parser.add_argument("--monitor-url", help="yl_monitor URL (default http://127.0.0.1:5500)")
    parser.add_argument("--local-port", type=int, help="local status server port (5502)")
    parser.add_argument(
        "--lang",
        choices=sorted(i18n.available()),
        help="the window's language this time (wins over the choice saved in Help → Language "
        "and the config's language; unset: those, else the system's)",
    )
    parser.add_argument("--version", action="version", version=f"user_gui {__version__}")
    return parser.parse_args(argv)


def keep_opencv_plugins_away() -> None:
    """opencv-python points QT_QPA_PLATFORM_PLUGIN_PATH at its own Qt plugins on import,
    which breaks PyQt5 under X11. This process never imports cv2; drop a path it left."""
    path = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")
    if "cv2" in path:
        del os.environ["QT_QPA_PLATFORM_PLUGIN_PATH"]


def main(argv: list[str] | None = None, places: Places | None = None) -> int:
    args = parse_args(argv)
    if places is not None:
        settle(args, places, "user_gui.yaml")
    path = config_path(args, DEFAULT_CONFIG)
    overrides: dict[str, Any] = {}
    if args.backend_url:
        overrides.setdefault("backend", {})["url"] = args.backend_url
    if args.monitor_url:
        overrides.setdefault("monitor", {})["url"] = args.monitor_url
    if args.local_port is not None:
        overrides.setdefault("local_server", {})["port"] = args.local_port
    try:
        config = load_gui_config(path, overrides=overrides)
    except ConfigError as exc:
        print(f"user_gui: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.logging)
    keep_opencv_plugins_away()
    if (
        not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and os.environ.get("QT_QPA_PLATFORM") is None
        and sys.platform.startswith("linux")
    ):
        print(
            "user_gui: no display (DISPLAY is not set). Run it in a desktop session, or "
            "under Xvfb: xvfb-run python -m user_gui; the services keep running without it.",
            file=sys.stderr,
        )
        return 4

    from PyQt5.QtCore import QTimer
    from PyQt5.QtWidgets import QApplication

    from user_gui.app.main_window import MainWindow
    from user_gui.services.clients import ARBackendClient, MonitorClient
    from user_gui.services.local_server import LocalHTTPServer
    from user_gui.services.reporter import StatusReporter

    app = QApplication(sys.argv[:1])
    app.setApplicationName("AR Live Studio")
    app.setStyle("Fusion")
    from PyQt5.QtCore import QLocale, QSettings

    saved = QSettings("AR Live Studio", "user_gui").value("language")
    chosen = args.lang or saved or config.language
    i18n.set_language(i18n.pick_language(chosen, QLocale.system().name()))
    reporter = StatusReporter(config.monitor)
    server = None
    if config.local_server.enabled:
        server = LocalHTTPServer(reporter, config.local_server.host, config.local_server.port)
        try:
            server.start()
        except OSError as exc:
            log.error(
                "local status server not started on port %s: %s", config.local_server.port, exc
            )
            server = None
    backend = ARBackendClient(
        config.backend.url,
        timeout=config.backend.timeout,
        retries=config.backend.retries,
        api_key=config.backend.api_key,
    )
    monitor = MonitorClient(
        config.monitor.url,
        timeout=config.monitor.timeout,
        retries=0,
        api_key=config.monitor.api_key,
    )
    window = MainWindow(
        backend, monitor, reporter, server.url if server else None, config.backend.poll_interval
    )
    reporter.start()
    window.show()
    # SIGTERM/SIGINT close the window like a person would (Python runs signal handlers only
    # between bytecodes, so a timer wakes the interpreter now and then)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        return app.exec_()
    finally:
        reporter.stop()
        if server is not None:
            server.stop()


def cli() -> int:
    """``ar-studio``: the window, with the app's folders (its config: shared/places.py)."""
    return main(places=find_places())


if __name__ == "__main__":
    sys.exit(main())
