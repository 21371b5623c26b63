"""GUI tests run on Qt's offscreen platform (no display needed); the window's fixtures: a real
monitor and a real backend process, and the window built on them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Every test starts and ends in English (the window's language is the process's)."""
    from user_gui.app import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
def services(spawn, tmp_path: Path):
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {tmp_path / 'models'}}}\n"
        f"outputs: {{recordings_dir: {tmp_path / 'recordings'}}}\n"
        f"media: {{folders: [{tmp_path / 'media'}]}}\n"
    )
    be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    return mon, be, cfg


NOWHERE = "http://127.0.0.1:9"  # connection refused at once


def studio_window(backend_url: str, monitor_url: str = NOWHERE, poll_interval: float = 0.3):  # type: ignore[no-untyped-def]
    """A window on these services that reports to nobody (its monitor is ``NOWHERE``
    unless told), not shown; the caller adds it to qtbot and closes it."""
    from user_gui.app.main_window import MainWindow
    from user_gui.config import MonitorSection
    from user_gui.services.clients import ARBackendClient, MonitorClient
    from user_gui.services.reporter import StatusReporter

    return MainWindow(
        ARBackendClient(backend_url, timeout=3, retries=0),
        MonitorClient(monitor_url, timeout=2, retries=0),
        StatusReporter(MonitorSection(url=NOWHERE, node_id="gui-t", max_retries=0)),
        None,
        poll_interval=poll_interval,
    )


@pytest.fixture
def window(qtbot, services, tmp_path: Path, monkeypatch):
    from PyQt5.QtCore import QSettings

    from user_gui.app.main_window import MainWindow
    from user_gui.config import MonitorSection
    from user_gui.services.clients import ARBackendClient, MonitorClient
    from user_gui.services.local_server import LocalHTTPServer
    from user_gui.services.reporter import StatusReporter

    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    mon, be, _cfg = services
    reporter = StatusReporter(
        MonitorSection(url=mon.url, node_id="gui-w", report_interval=30, max_retries=0)
    )
    server = LocalHTTPServer(reporter, port=0)
    server.start()
    win = MainWindow(
        ARBackendClient(be.url, timeout=3, retries=0),
        MonitorClient(mon.url, timeout=2, retries=0),
        reporter,
        server.url,
        poll_interval=0.3,
    )
    qtbot.addWidget(win)
    reporter.start()
    win.show()
    yield win
    win.close()
    reporter.stop()
    server.stop()
