"""The backend as a real process, for what only a process shows: MJPEG over real sockets and
waitress threads, SIGTERM, start-up (``--source``) and heartbeats to a monitor. The API
itself, in process, is in ``test_live_api.py``."""

from __future__ import annotations

import signal
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
import requests

from tests.backend.conftest import mjpeg_frames
from tests.procs import wait_for

pytestmark = pytest.mark.slow


def post(url: str, body: dict | None = None, **kw) -> requests.Response:
    return requests.post(url, json=body, timeout=15, **kw)


def test_two_viewers_one_slow_both_current(backend, media: Path) -> None:
    from tests.backend.conftest import write_clip

    write_clip(media / "big.mp4", frames=90, size=(1280, 720), noise=True)
    be = backend("--no-autostart")
    assert post(be.url + "/camera/start", {"source": "big.mp4"}).status_code == 200
    lags: list[int] = []
    fast_count = 0

    def slow() -> None:
        frames = mjpeg_frames(be.url + "/video_feed", 12, rcvbuf=65536)
        for i, (seq, _img) in enumerate(frames):
            time.sleep(0.4)  # a viewer on a bad link: 2.5 frames/s
            if i >= 6:
                current = requests.get(be.url + "/camera/status", timeout=5).json()["frames_in"]
                lags.append(current - seq)

    t = threading.Thread(target=slow)
    t.start()
    for _seq, _img in mjpeg_frames(be.url + "/video_feed", 60):
        fast_count += 1
    t.join(30)
    assert fast_count == 60  # the fast viewer is not held back by the slow one
    status = requests.get(be.url + "/status", timeout=5).json()
    # each frame is encoded once however many watch: never more encodes than frames out
    assert status["outputs"]["mjpeg"]["frames_encoded"] <= status["camera"]["frames_out"]
    assert lags, "the slow viewer got no frames"
    # The slow viewer skips frames rather than falling behind. A backlog would make each
    # frame it reads about 11 frames staler than the last (12 produced per read, 1 taken);
    # here the staleness stays flat, bounded by a few frames in socket buffers at its pace.
    assert lags[-1] <= lags[0] + 15, lags
    assert max(lags) <= 75, lags


def test_sigterm_while_recording_finalises_the_file(backend, tmp_path: Path) -> None:
    be = backend("--source", "demo")
    assert post(be.url + "/record/start", {"file_name": "live.mp4"}).status_code == 200

    def recorded() -> int:
        return requests.get(be.url + "/status", timeout=5).json()["outputs"]["recording"]["frames"]

    wait_for(lambda: recorded() >= 5, timeout=20)
    assert be.stop(signal.SIGTERM) == 0
    assert "capture released, outputs closed" in be.log
    cap = cv2.VideoCapture(str(tmp_path / "recordings" / "live.mp4"))
    ok, image = cap.read()
    assert ok and image.shape[0] > 0


def test_heartbeats_reach_a_real_monitor(spawn, backend, backend_config, tmp_path) -> None:
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    cfg = backend_config(monitor={"enabled": True, "url": mon.url, "report_interval": 0.5})
    backend("--source", "demo", config=cfg)

    def node() -> dict | None:
        resp = requests.get(mon.url + "/api/ar/nodes/ar-backend", timeout=5)
        return resp.json() if resp.status_code == 200 else None

    wait_for(lambda: (n := node()) and n["beats_received"] >= 2, timeout=15)
    n = node()
    assert n["node_type"] == "ar-backend"
    assert n["state"] == "online"
    assert n["last_payload"]["camera"]["state"] == "running"
    assert n["last_payload"]["camera"]["source"].startswith("demo")


def test_another_backend_reads_this_one_as_an_http_source(backend, backend_config) -> None:
    first = backend("--source", "demo")
    second = backend("--no-autostart", config=backend_config())
    resp = post(second.url + "/camera/start", {"source": first.url + "/video_feed"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["source_kind"] == "url"
    _seq, image = next(mjpeg_frames(second.url + "/video_feed", 1))
    assert image.shape[:2] == (720, 1280)


@pytest.fixture
def down_monitor() -> Iterator[tuple[str, list[int]]]:
    """A monitor that is down, where a test can count the tries: 127.0.0.1:PORT resets every
    connection at once (as a refused one fails). Yields (URL, [connections so far])."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    tries = [0]
    done = threading.Event()

    def refuse() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # linger 0: a reset, not a polite close
            tries[0] += 1

    thread = threading.Thread(target=refuse, name="down-monitor", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", tries
    finally:
        done.set()
        thread.join(5)
        listener.close()


def test_monitor_down_and_empty_start_body(backend, backend_config, down_monitor) -> None:
    dead, tries = down_monitor
    cfg = backend_config(monitor={"enabled": True, "url": dead, "report_interval": 0.2})
    be = backend("--source", "demo", config=cfg)
    # several beats fail meanwhile (a beat is its register call and one retry: 2 tries)
    wait_for(lambda: tries[0] >= 6, timeout=20)
    assert requests.get(be.url + "/health", timeout=5).json()["status"] == "healthy"
    assert post(be.url + "/camera/stop").json()["state"] == "stopped"
    again = requests.post(be.url + "/camera/start", timeout=15)  # no body: the --source
    assert again.status_code == 200 and again.json()["source_kind"] == "demo"
    assert be.log.count(f"heartbeat to {dead} failed") == 1  # logged once, not per beat
