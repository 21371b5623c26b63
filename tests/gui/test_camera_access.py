"""A camera that is there but this user may not open (issue 25, item 15): the window says so
in a person's words with the fix (``sudo usermod -aG video $USER``, then log in again) and
Copy, from the backend's /health; gone once the camera may be opened.

Tests run as root (who may open anything) on machines without a camera, so the backend runs
in this process, served over HTTP on a free port, with its device check pointed at stand-in
device nodes judged for an ordinary user (as tests/backend/test_camera_access.py does)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procs import STOP_POLL_S

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow

USER = (1000, {1000})  # an ordinary user, not in the video group
VIDEO_GID = 44


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[tuple[str, Any, Path]]:
    """The backend app on a real server in this process; its camera device 0 is a stand-in
    (root:video, 0660) this user may not open."""
    from werkzeug.serving import make_server

    from ar_backend.app import create_app
    from ar_backend.config import BackendConfig
    from ar_backend.sources.device import DeviceAccess
    from ar_backend.studio import Studio
    from shared.ports import free_port

    dev = tmp_path / "dev"
    dev.mkdir()
    node = dev / "video0"
    node.write_bytes(b"")
    os.chown(node, 0, VIDEO_GID)
    node.chmod(0o660)
    config = BackendConfig.model_validate(
        {
            "monitor": {"enabled": False},
            "camera": {"source": "0"},
            "audio": {"input_device": "no-such-mic"},
            "media": {"folders": [str(tmp_path / "media")]},
            "outputs": {"recordings_dir": str(tmp_path / "recordings")},
        }
    )
    studio = Studio(config)
    studio.device_access = DeviceAccess(dev, identity=USER)
    port = free_port()
    server = make_server("127.0.0.1", port, create_app(config, studio=studio), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": STOP_POLL_S},
        name="test-backend",
        daemon=True,
    )
    thread.start()
    yield f"http://127.0.0.1:{port}", studio, dev
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    studio.close()


def test_a_camera_this_user_may_not_open_is_said_with_the_fix(
    qtbot, backend, tmp_path: Path
) -> None:
    from PyQt5.QtCore import QSettings
    from PyQt5.QtWidgets import QApplication

    from ar_backend.sources.device import DeviceAccess
    from tests.gui.conftest import studio_window
    from user_gui.app import i18n

    url, studio, dev = backend
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path / "settings"))
    win = studio_window(url)
    qtbot.addWidget(win)
    win.show()
    fix = win.camera_panel.access_fix
    try:
        qtbot.waitUntil(fix.isVisible, timeout=15000)
        device = str(dev / "video0")
        assert fix.sentence.full_text == (
            f"The camera {device} is there, but you may not use it yet. Run this command "
            "once, then log out and back in."
        )
        assert fix.command_text == "sudo usermod -aG video $USER"
        assert "log out and in again" in fix.sentence.toolTip()  # the backend's words
        fix.copy_button.click()
        assert QApplication.clipboard().text() == "sudo usermod -aG video $USER"
        i18n.set_language("zh_CN")
        assert fix.sentence.full_text.startswith(f"摄像头 {device} 存在")
        i18n.set_language("en")
        # the person joined the video group: nothing more to say
        studio.device_access = DeviceAccess(dev, identity=(1000, {1000, VIDEO_GID}))
        qtbot.waitUntil(lambda: not fix.isVisible(), timeout=15000)
    finally:
        win.close()
