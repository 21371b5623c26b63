"""MJPEG viewers are capped below the server's threads, and a stalled one is let go.

The cap and its 503 in process; the threads a viewer holds only in a real waitress process:
viewers that never read must not starve /health, and one that stalls is disconnected.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from ar_backend.config import BackendConfig
from tests.procs import wait_for


def test_the_cap_defaults_below_the_threads_and_must_stay_below() -> None:
    assert BackendConfig().max_viewers == 24  # 32 threads, 8 kept for the API
    assert BackendConfig.model_validate({"server": {"threads": 8}}).max_viewers == 4
    with pytest.raises(ValueError, match=r"max_viewers \(8\) must be below server.threads"):
        BackendConfig.model_validate({"server": {"threads": 8}, "outputs": {"max_viewers": 8}})


def test_past_the_cap_video_feed_is_a_503_naming_it(make_studio) -> None:
    client, studio = make_studio(outputs={"max_viewers": 2})
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    watching = [client.get("/video_feed", buffered=False) for _ in range(2)]
    assert [r.status_code for r in watching] == [200, 200]
    assert next(watching[0].response).startswith(b"--frame")
    refused = client.get("/video_feed")
    assert refused.status_code == 503
    body = refused.get_json()
    assert body["max_viewers"] == 2 and "outputs.max_viewers = 2" in body["message"], body
    mjpeg = client.get("/status").get_json()["outputs"]["mjpeg"]
    assert (mjpeg["viewers"], mjpeg["max_viewers"], mjpeg["viewers_refused"]) == (2, 2, 1)
    watching[0].close()  # a viewer that leaves frees its place
    again = client.get("/video_feed", buffered=False)
    assert again.status_code == 200
    again.close()
    watching[1].close()
    assert studio.viewers.count == 0


def stalled_viewer(url: str) -> socket.socket:
    """A viewer that asks for the stream and never reads a byte (a tiny receive window)."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect((parts.hostname, parts.port))
    sock.sendall(f"GET /video_feed HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


def read_answer(sock: socket.socket) -> str:
    """A whole (non-streaming) HTTP answer: headers and Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode(errors="replace")


def mjpeg(be) -> dict:  # type: ignore[no-untyped-def]
    return requests.get(be.url + "/status", timeout=5).json()["outputs"]["mjpeg"]


def encoding_stopped(be):  # type: ignore[no-untyped-def]
    """A predicate for ``wait_for``: no frame was encoded since its last call, so every
    viewer is blocked (the stream encodes a frame only when a viewer takes one)."""
    last: list[int | None] = [None]

    def stopped() -> bool:
        now = mjpeg(be)["frames_encoded"]
        same, last[0] = now == last[0], now
        return same

    return stopped


@pytest.mark.slow
def test_viewers_that_never_read_leave_threads_for_the_api(backend, backend_config) -> None:
    cap, threads = 4, 8
    cfg = backend_config(
        server={"threads": threads},
        outputs={"max_viewers": cap, "viewer_stall_timeout": 120},
    )
    be = backend("--source", "demo", config=cfg)
    viewers = [stalled_viewer(be.url) for _ in range(cap)]
    try:
        wait_for(lambda: mjpeg(be)["viewers"] == cap, timeout=10)
        # their buffers fill: each of their threads now waits to write, so no frame is
        # encoded any more (the stream encodes a frame only when a viewer asks for it)
        wait_for(encoding_stopped(be), timeout=20, interval=0.5)
        extra = [stalled_viewer(be.url) for _ in range(threads)]  # as many again as threads
        for sock in extra:
            answer = read_answer(sock)
            assert answer.startswith("HTTP/1.1 503"), answer[:200]
            assert '"max_viewers":4' in answer.replace(" ", ""), answer
            sock.close()
        for _ in range(3):
            t0 = time.monotonic()
            assert requests.get(be.url + "/health", timeout=5).status_code == 200
            assert time.monotonic() - t0 < 0.5
        assert mjpeg(be)["viewers"] == cap and mjpeg(be)["viewers_refused"] == threads
        viewers.pop().close()  # one leaves: another may watch
        wait_for(lambda: mjpeg(be)["viewers"] == cap - 1, timeout=10)
        resp = requests.get(be.url + "/video_feed", stream=True, timeout=5)
        assert resp.status_code == 200
        resp.close()
    finally:
        for sock in viewers:
            sock.close()


@pytest.mark.slow
def test_a_stalled_viewer_is_disconnected_and_its_thread_freed(backend, backend_config) -> None:
    threads = 4
    cfg = backend_config(
        server={"threads": threads},
        outputs={"max_viewers": threads - 1, "viewer_stall_timeout": 2},
    )
    be = backend("--source", "demo", config=cfg)
    stalled = [stalled_viewer(be.url) for _ in range(threads - 1)]
    try:
        wait_for(lambda: mjpeg(be)["viewers"] == threads - 1, timeout=10)
        # each is dropped once it has taken no frame for 2 s, and its thread comes back
        wait_for(lambda: mjpeg(be)["viewers"] == 0, timeout=15)
        assert mjpeg(be)["viewers_dropped_stalled"] == threads - 1
        assert be.log.count("took no frame for 2 s") == threads - 1
        for sock in stalled:  # the connection is gone (reset), not left half-open
            with pytest.raises(OSError):
                while sock.recv(1 << 20):
                    pass
                raise ConnectionResetError("closed")
        # all threads are free again: as many viewers as the cap can watch at once
        streams = [
            requests.get(be.url + "/video_feed", stream=True, timeout=5) for _ in range(threads - 1)
        ]
        assert [r.status_code for r in streams] == [200] * (threads - 1)
        for r in streams:
            assert next(r.iter_content(64)).startswith(b"--frame")
            r.close()
    finally:
        for sock in stalled:
            sock.close()


def test_at_the_governors_last_preview_step_a_60_fps_source_is_watched_at_30() -> None:
    """The preview knob's last level (a 60 fps source the machine cannot keep up with): each
    viewer gets at most 30 frames a second, so half the JPEGs are encoded and decoded; the
    step offers half the encoding's cost while 60 a second are encoded, and nothing while a
    30 fps source's are (it would change nothing there)."""
    import threading

    import numpy as np

    from ar_backend.frames import Frame, LatestSlot
    from ar_backend.outputs.jpeg import PREVIEW_FPS, JpegCache

    def play(fps: float, level: int, seconds: float = 1.0) -> tuple[JpegCache, int]:
        slot = LatestSlot()
        cache = JpegCache(slot)
        cache.knob().set_level(level)
        stop = threading.Event()
        got: list[bytes] = []

        def watch() -> None:
            got.extend(cache.stream(stop, idle_timeout=0.05))

        viewer = threading.Thread(target=watch)
        viewer.start()
        image = np.full((360, 640, 3), 128, np.uint8)
        start = time.monotonic()
        seq = 0
        while time.monotonic() - start < seconds:
            seq += 1
            slot.put(Frame(image, seq, time.monotonic()))
            time.sleep(max(0.0, start + seq / fps - time.monotonic()))
        stop.set()
        viewer.join(timeout=5)
        return cache, len(got)

    _, full = play(60, level=2)
    _, capped = play(60, level=3)
    assert full >= 50 and capped <= PREVIEW_FPS + 3 and capped >= 20, (full, capped)
    busy, _ = play(60, level=2)
    assert busy.cost_ms() > 0
    calm, _ = play(30, level=2)
    assert calm.cost_ms() == 0.0
