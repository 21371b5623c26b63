"""The backend offline (issue 25, item 9): over the preview, the command that starts it here
with Copy, and a Start button when it runs on this machine and was started by the launcher
(start_all.sh), which starts it again and the window follows; for a backend on another machine,
where to start it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
import requests

pytest.importorskip("PyQt5")

from shared.places import Places
from tests.procs import ROOT


def places_in(home: Path) -> Places:
    """A checkout's folders, in ``home`` (never the real run/ and logs/)."""
    config = home / "config"
    return Places(True, config, home, home / "logs", home / "run", config)


def test_a_backend_elsewhere_or_not_started_here_gets_no_start_button(qtbot, tmp_path) -> None:
    from user_gui.app.offline_box import OfflineBox
    from user_gui.services.backend_starter import BackendStarter

    places = places_in(tmp_path)
    remote = OfflineBox(BackendStarter("http://10.0.0.7:5501", places))
    qtbot.addWidget(remote)
    remote.show_offline()
    assert remote.sentence.full_text == (
        "The backend at http://10.0.0.7:5501 does not answer: start it on that computer."
    )
    assert remote.command.isHidden() and remote.start_button.isHidden()

    local = OfflineBox(BackendStarter("http://127.0.0.1:5501", places))
    qtbot.addWidget(local)
    local.show_offline()  # never started by the launcher here: the command, no button
    assert local.command_text == f"cd {tmp_path} && ./start_all.sh start"
    assert local.start_button.isHidden()
    unit = tmp_path / "ar-backend.service"
    unit.write_text("[Unit]\n")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "ar_backend.pid").write_text("123\n")
    service = OfflineBox(BackendStarter("http://127.0.0.1:5501", places, systemd_unit=unit))
    qtbot.addWidget(service)
    service.show_offline()  # a systemd service: systemd's command, no button (needs root)
    assert service.command_text == "sudo systemctl start ar-backend"
    assert service.start_button.isHidden()


LAUNCHER = """
import subprocess, sys, time, urllib.request
config, port, run, root = sys.argv[1:5]
proc = subprocess.Popen(
    [sys.executable, "-m", "ar_backend", "--config", config, "--host", "127.0.0.1",
     "--port", port, "--no-autostart"],
    cwd=root, start_new_session=True, stdin=subprocess.DEVNULL,
)
open(run + "/ar_backend.pid", "w").write(f"{proc.pid}\\n")
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
        print("ar_backend  started"); sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
"""


@pytest.mark.slow
def test_start_brings_the_backend_back(qtbot, window, services, tmp_path: Path) -> None:
    from PyQt5.QtWidgets import QApplication

    from user_gui.services.backend_starter import BackendStarter

    _mon, be, cfg = services
    home = tmp_path / "studio"
    (home / "run").mkdir(parents=True)
    (home / "run" / "ar_backend.pid").write_text("1\n")  # the launcher started the first one
    launcher = tmp_path / "launcher.py"
    launcher.write_text(LAUNCHER)
    argv = [sys.executable, str(launcher), str(cfg), str(be.port), str(home / "run"), str(ROOT)]
    window.offline.starter = window.backend_starter = BackendStarter(be.url, places_in(home), argv)
    qtbot.waitUntil(window.camera_panel.start_button.isEnabled, timeout=15000)
    assert not window.offline.isVisible()
    be.kill()
    offline = window.offline
    qtbot.waitUntil(offline.isVisible, timeout=10000)
    assert offline.sentence.full_text == (
        "The studio's backend is not running. Start it with this command:"
    )
    assert offline.command_text == f"cd {home} && ./start_all.sh start"
    offline.copy_button.click()
    assert QApplication.clipboard().text() == offline.command_text
    assert offline.start_button.isVisible() and offline.start_button.text() == "Start the backend"
    box, view = offline.geometry(), window.preview.rect()
    assert view.contains(box.topLeft()) and view.contains(box.bottomRight())  # over the preview
    try:
        offline.start_button.click()
        assert offline.start_button.text() == "Starting…" and not offline.start_button.isEnabled()
        qtbot.waitUntil(window.camera_panel.start_button.isEnabled, timeout=60000)
        qtbot.waitUntil(lambda: not offline.isVisible(), timeout=10000)
        assert requests.get(be.url + "/health", timeout=5).status_code == 200
        assert offline.start_button.text() == "Start the backend"
    finally:
        pid = int((home / "run" / "ar_backend.pid").read_text())
        if pid > 1:
            os.kill(pid, signal.SIGTERM)
