"""Backend fixtures: a video file the test writes, a config pointing at temp folders, and an
in-process app (``create_app`` around a real Studio, Flask's test client) where the process is
not the point."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from shared.config import deep_merge
from shared.mjpeg import iter_parts, open_stream
from tests.procs import ServiceProcess

# the clips written so far in this process, by what makes them differ: each is encoded once
# (a 60-frame clip is about 20 ms of CPU, and most in-process studios' media folders hold one)
_CLIPS: dict[tuple[str, int, tuple[int, int], int, bool], bytes] = {}


def write_clip(
    path: Path,
    frames: int = 60,
    size: tuple[int, int] = (320, 240),
    fps: int = 30,
    noise: bool = False,
) -> Path:
    """A real MP4: a square moving across a gradient, the frame number written on it.

    ``noise`` adds grain, so frames are as large as a real camera's (a flat test image
    compresses to a few kB, which no webcam delivers). The same arguments give the same
    bytes: a clip made before in this process is copied, not encoded again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = (path.suffix.lower(), frames, size, fps, noise)
    made = _CLIPS.get(key)
    if made is not None:
        path.write_bytes(made)
        return path
    rng = np.random.default_rng(7)
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
    _CLIPS[key] = path.read_bytes()
    return path


def start_backend(tmp: Path, extra_yaml: str = "") -> ServiceProcess:
    """A backend process on a free port with its folders in ``tmp`` (media, recordings),
    no monitor and no camera until asked; ``extra_yaml`` adds config sections."""
    cfg = tmp / "backend.yaml"
    cfg.write_text(
        f"media: {{folders: ['{tmp / 'media'}']}}\nmonitor: {{enabled: false}}\n"
        f"outputs: {{recordings_dir: '{tmp / 'rec'}'}}\n{extra_yaml}"
    )
    return ServiceProcess(
        "ar_backend",
        ["--config", str(cfg), "--no-autostart"],
        health_path="/health",
        log_path=tmp / "be.log",
    ).start()


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
    url: str,
    count: int,
    timeout: float = 20.0,
    rcvbuf: int | None = None,
    header: str = "x-frame-seq",
) -> Iterator[tuple[int, np.ndarray]]:
    """Read ``count`` parts of an MJPEG stream: (sequence number, decoded image).

    ``rcvbuf`` fixes this viewer's receive buffer (as a constrained device has), so what
    the test sees is the server's own buffering, not the kernel's autotuned window.
    ``header="x-source-frame"`` gives each part's frame index in a file source instead (a
    loaded machine skips frames of a file to keep to its clock, so sequence numbers and
    the file's frames part ways).
    """
    sock = open_stream(url, timeout=timeout, rcvbuf=rcvbuf)
    try:
        for got, (headers, data) in enumerate(iter_parts(sock), start=1):
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None
            yield int(headers[header]), image
            if got >= count:
                return
    finally:
        sock.close()


def client_mjpeg_frames(
    client: Any, count: int, path: str = "/video_feed"
) -> Iterator[tuple[int, np.ndarray]]:
    """``mjpeg_frames`` through Flask's test client: ``count`` parts of ``path`` (the
    preview, ``?width=`` and all) as (sequence number, decoded image); the stream is closed
    after (its viewer leaves)."""
    resp = client.get(path, buffered=False)
    assert resp.status_code == 200, resp.get_json()
    assert resp.mimetype == "multipart/x-mixed-replace"
    buf = b""
    got = 0
    try:
        for chunk in resp.response:
            buf += chunk
            while (end := buf.find(b"\r\n\r\n")) >= 0:
                lines = buf[:end].decode().split("\r\n")
                assert lines[0].startswith("--"), lines  # the part boundary
                fields = (line.partition(":") for line in lines[1:])
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                size = int(headers["content-length"])
                if len(buf) < end + 4 + size:
                    break
                data, buf = buf[end + 4 : end + 4 + size], buf[end + 4 + size :].lstrip(b"\r\n")
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                assert image is not None
                yield int(headers["x-frame-seq"]), image
                got += 1
                if got >= count:
                    return
    finally:
        resp.close()


@contextmanager
def studios(tmp_path: Path, media: Path) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """``make_studio``'s maker, for a fixture of any scope: the Studios it made are closed
    when the block ends."""
    from ar_backend.app import create_app
    from ar_backend.config import BackendConfig
    from ar_backend.studio import Studio

    made: list[Any] = []

    def _make(**sections: Any) -> tuple[Any, Any]:
        base: dict[str, Any] = {
            "media": {"folders": [str(media)]},
            "outputs": {"recordings_dir": str(tmp_path / "recordings")},
            "monitor": {"enabled": False},
            "camera": {"reconnect_min": 0.2, "reconnect_max": 0.5},
            "pipeline": {"processors": ["overlay"]},
        }
        config = BackendConfig.model_validate(deep_merge(base, sections))
        studio = Studio(config)
        made.append(studio)
        return create_app(config, studio=studio).test_client(), studio

    try:
        yield _make
    finally:
        for studio in made:
            studio.close()


@pytest.fixture
def make_studio(tmp_path: Path, media: Path) -> Iterator[Callable[..., tuple[Any, Any]]]:
    """``make_studio(**sections)``: (test client, Studio) in this process, the media folder
    as in ``media``, no monitor; each Studio is closed at the end of the test."""
    with studios(tmp_path, media) as make:
        yield make
