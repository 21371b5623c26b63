"""A camera by device index (OpenCV VideoCapture), and URLs read the same way."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import PixelLimit
from ar_backend.sources.base import SourceError, SourceSpec, register


class DeviceNotOpen(SourceError):
    """A camera device that does not open (none there, or another program holds it)."""


class CaptureSource:
    """Anything cv2.VideoCapture reads at its own pace: a device or a network stream."""

    kind = "device"
    opens_slowly = False  # open() answers at once (a URL may not: see UrlSource)

    def __init__(self, spec: SourceSpec, cfg: CameraConfig) -> None:
        self.spec = spec
        self.cfg = cfg
        self.fps = cfg.fps
        self.label = f"device {spec.target}"
        self._cap: cv2.VideoCapture | None = None

    def _capture(self) -> cv2.VideoCapture:
        return cv2.VideoCapture(int(self.spec.target))

    def _open_failed(self) -> SourceError:
        return DeviceNotOpen(
            f"{self.label} does not open (no camera there, or it is in use by another program)"
        )

    def open(self) -> None:
        cap = self._capture()
        if not cap.isOpened():
            cap.release()
            raise self._open_failed()
        if self.kind == "device":
            if self.cfg.mjpg:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.cfg.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.cfg.height)
            cap.set(cv2.CAP_PROP_FPS, self.cfg.fps)
        reported = cap.get(cv2.CAP_PROP_FPS)
        if reported and 1 <= reported <= 240:
            self.fps = float(reported)
        self._cap = cap

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, image = self._cap.read()
        return image if ok and image is not None else None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


@register("device")
def _device(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> CaptureSource:
    return CaptureSource(spec, cfg)


def device_opens(index: int) -> bool:
    cap = cv2.VideoCapture(index)
    try:
        return bool(cap.isOpened())
    finally:
        cap.release()


V4L2_ROOT = "/sys/class/video4linux"


def describe_devices(
    indices: list[int],
    *,
    sysfs_root: str | Path = V4L2_ROOT,
    virtual_devices: tuple[str | None, ...] = (),
    linux: bool | None = None,
) -> list[dict[str, Any]]:
    """``{index, name, path, virtual}`` for each device index (GET /camera/devices ``named``).

    On Linux the name is the driver's, from ``<sysfs_root>/video<N>/name`` (``Camera <N>``
    when it cannot be read) and the path ``/dev/video<N>``; elsewhere ``Camera <N>`` and no
    path. ``virtual`` marks a v4l2loopback device (the virtual camera, ours or another
    program's): its name says ``loopback``, its sysfs entry lies under
    ``/sys/devices/virtual``, or its path is one of ``virtual_devices`` (the configured and
    the running virtual camera's), so a window does not offer our own output as an input.
    """
    on_linux = sys.platform.startswith("linux") if linux is None else linux
    ours = {os.path.normpath(d) for d in virtual_devices if d}
    named = []
    for index in indices:
        name, path, virtual = f"Camera {index}", None, False
        if on_linux:
            path = f"/dev/video{index}"
            entry = Path(sysfs_root) / f"video{index}"
            try:
                text = (entry / "name").read_text(encoding="utf-8", errors="replace").strip()
                virtual = entry.resolve().parent.parent.name == "virtual"
            except OSError:
                text = ""
            name = text[:128] or name
            virtual = virtual or "loopback" in name.lower() or path in ours
        named.append({"index": index, "name": name, "path": path, "virtual": virtual})
    return named
