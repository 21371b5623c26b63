"""The preview reader never builds a backlog: a GUI thread that is busy gets the newest frame."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

pytest.importorskip("PyQt5")
pytestmark = pytest.mark.slow


def test_a_busy_window_gets_the_newest_frame_not_a_backlog(qtbot, spawn, tmp_path: Path):
    from user_gui.app.workers import MjpegReader

    cfg = tmp_path / "backend.yaml"
    cfg.write_text("monitor: {enabled: false}\ncamera: {fps: 30, width: 320, height: 240}\n")
    be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    assert requests.post(be.url + "/camera/start", json={"source": "demo"}, timeout=30).ok
    got: list[int] = []
    reader = MjpegReader(be.url + "/video_feed")
    reader.frame.connect(lambda image, seq: got.append(seq))
    reader.start()
    try:
        qtbot.waitUntil(lambda: len(got) >= 3, timeout=15000)
        time.sleep(1.5)  # the GUI thread is busy: no events are processed meanwhile
        before = len(got)
        qtbot.waitUntil(lambda: len(got) > before, timeout=5000)
        jump = got[before] - got[before - 1]
        assert jump >= 30, "the window is handed the newest frame, not the backlog of 1.5 s"
        assert reader.skipped >= 30, "the frames it could not take were replaced, and counted"
        newest = got[-1]
        qtbot.waitUntil(lambda: len(got) >= before + 6, timeout=5000)
        assert got[-1] > newest and got == sorted(got), "then it follows the stream again"
    finally:
        reader.stop()
