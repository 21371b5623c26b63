"""Sinks that follow the output slot in their own thread: the virtual camera, the recorder."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.frames import LatestSlot

log = logging.getLogger(__name__)


class OutputUnavailable(Exception):
    """The output cannot start here; the message names the fix."""


class FollowerSink:
    """Base: a thread that writes each new output frame; ``stop()`` closes what it opened."""

    name = "sink"

    def __init__(self, slot: LatestSlot) -> None:
        self._slot = slot
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames = 0
        self.error: str | None = None
        self.started_at: float | None = None

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _write(self, image: np.ndarray) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass

    def _run(self) -> None:
        last = -1
        try:
            while not self._stop.is_set():
                frame = self._slot.wait_newer(last, 0.5)
                if frame is None:
                    if self._slot.closed:
                        return
                    continue
                last = frame.seq
                try:
                    self._write(frame.image)
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                    log.error("%s stopped: %s", self.name, self.error)
                    return
                self.frames += 1
        finally:
            self._close()

    def _start_thread(self) -> None:
        self._stop.clear()
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class Recorder(FollowerSink):
    """Writes the output to an MP4 file (OpenCV, mp4v)."""

    name = "recorder"

    def __init__(self, slot: LatestSlot, path: Path, fps: float, size: tuple[int, int]) -> None:
        super().__init__(slot)
        self.path = path
        self.size = size
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            raise OutputUnavailable(f"cannot write video to {path}")
        self._start_thread()

    def _write(self, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size)
        self._writer.write(image)

    def _close(self) -> None:
        self._writer.release()  # finalises the MP4

    def status(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "file": self.path.name,
            "frames": self.frames,
            "error": self.error,
        }


class VirtualCamera(FollowerSink):
    """Sends the output to a virtual camera (v4l2loopback, OBS) through pyvirtualcam."""

    name = "virtual-camera"

    def __init__(
        self,
        slot: LatestSlot,
        size: tuple[int, int],
        fps: float,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(slot)
        try:
            import pyvirtualcam
        except ImportError as exc:
            raise OutputUnavailable(f"pyvirtualcam is not installed: {exc}") from exc
        self.size = size
        try:
            self._cam = pyvirtualcam.Camera(
                width=size[0],
                height=size[1],
                fps=fps,
                fmt=pyvirtualcam.PixelFormat.BGR,
                device=device,
                backend=backend,
            )
        except Exception as exc:  # RuntimeError naming modprobe when no device exists
            raise OutputUnavailable(
                f"no virtual camera device: {exc}. On Linux run "
                "scripts/setup_virtual_camera.sh (loads v4l2loopback); elsewhere install "
                "OBS Studio's virtual camera."
            ) from exc
        self.device = self._cam.device
        self._start_thread()

    def _write(self, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size)
        self._cam.send(image)

    def _close(self) -> None:
        self._cam.close()

    def status(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "device": self.device,
            "frames": self.frames,
            "error": self.error,
        }
