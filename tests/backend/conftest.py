"""Backend fixtures: a video file the test writes, a config pointing at temp folders."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest
import yaml

from tests.procs import ServiceProcess


def write_clip(
    path: Path,
    frames: int = 60,
    size: tuple[int, int] = (320, 240),
    fps: int = 30,
    noise: bool = False,
) -> Path:
    """A real MP4: a square moving across a gradient, the frame number written on it.

    ``noise`` adds grain, so frames are as large as a real camera's (a flat test image
    compresses to a few kB, which no webcam delivers).
    """
    rng = np.random.default_rng(7)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    w, h = size
    for i in range(frames):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :, 0] = np.linspace(0, 255, w, dtype=np.uint8)
        x = int(i * (w - 40) / max(frames - 1, 1))
        img[h // 2 - 20 : h // 2 + 20, x : x + 40] = (0, 255, 255)
        cv2.putText(img, str(i), (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        if noise:
            img = cv2.add(img, rng.integers(0, 60, img.shape, dtype=np.uint8))
        writer.write(img)
    writer.release()
    return path


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    write_clip(folder / "clip.mp4")
    return folder


@pytest.fixture
def backend_config(tmp_path: Path, media: Path) -> Callable[..., Path]:
    def _make(**sections: Any) -> Path:
        cfg: dict[str, Any] = {
            "media": {"folders": [str(media)]},
            "outputs": {"recordings_dir": str(tmp_path / "recordings")},
            "monitor": {"enabled": False},
            "camera": {"reconnect_min": 0.2, "reconnect_max": 0.5},
        }
        for key, value in sections.items():
            cfg[key] = {**cfg.get(key, {}), **value}
        path = tmp_path / "backend.yaml"
        path.write_text(yaml.safe_dump(cfg))
        return path

    return _make


@pytest.fixture
def backend(spawn, backend_config) -> Callable[..., ServiceProcess]:
    def _start(*extra: str, config: Path | None = None, **kw: Any) -> ServiceProcess:
        cfg = config or backend_config()
        return spawn("ar_backend", ["--config", str(cfg), *extra], health_path="/health", **kw)

    return _start


def mjpeg_frames(
    url: str, count: int, timeout: float = 20.0, rcvbuf: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Read ``count`` parts of an MJPEG stream over a plain socket: (sequence, image).

    ``rcvbuf`` fixes this viewer's receive buffer (as a constrained device has), so what
    the test sees is the server's own buffering, not the kernel's autotuned window.
    """
    parsed = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((parsed.hostname, parsed.port))
    try:
        sock.sendall(f"GET {parsed.path} HTTP/1.1\r\nHost: {parsed.netloc}\r\n\r\n".encode())
        stream = sock.makefile("rb")
        status = stream.readline()
        assert b" 200 " in status, status
        head = {}
        while (line := stream.readline().strip()) != b"":
            key, _, value = line.decode().partition(":")
            head[key.strip().lower()] = value.strip()
        assert head["content-type"].startswith("multipart/x-mixed-replace")
        body = _Dechunk(stream) if head.get("transfer-encoding") == "chunked" else stream
        for _ in range(count):
            line = body.readline()
            while line.strip() == b"":
                line = body.readline()
            assert line.startswith(b"--frame"), line
            headers: dict[str, str] = {}
            while (line := body.readline().strip()) != b"":
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            data = body.read(int(headers["content-length"]))
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None
            yield int(headers["x-frame-seq"]), image
    finally:
        sock.close()


class _Dechunk:
    """Reads an HTTP/1.1 chunked body as a plain stream (readline, read)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._buf = b""

    def _fill(self) -> None:
        size_line = self._stream.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            raise EOFError("end of stream")
        self._buf += self._stream.read(size)
        self._stream.readline()  # the CRLF after the chunk

    def readline(self) -> bytes:
        while b"\n" not in self._buf:
            self._fill()
        line, _, self._buf = self._buf.partition(b"\n")
        return line + b"\n"

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        out, self._buf = self._buf[:n], self._buf[n:]
        return out
