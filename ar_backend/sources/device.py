"""A camera by device index (OpenCV VideoCapture), and URLs read the same way."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import PixelLimit
from ar_backend.sources.base import SourceError, SourceSpec, SourceTooLarge, register
from shared.messages import msg
from shared.wire.backend import CameraAccess, CameraDevice


class DeviceNotOpen(SourceError):
    """A camera device that does not open (none there, or another program holds it)."""


FIX_COMMAND = "sudo usermod -aG {group} $USER"


class DeviceAccess:
    """Whether this process may open a camera device node (``<dev_root>/video<N>``) that is
    there: a device it may not open (not in the ``video`` group) is said with the fix, in
    ``/health``, ``/status`` and the camera's error, instead of "no camera".

    By default the check is the kernel's own answer for this process (``os.access``: ACLs,
    such as logind's for the seat's user, count; root may open anything). ``identity`` (uid,
    group ids) makes it the device's mode bits for that user instead: the seam a test uses
    to point the check at a stand-in (a temp file with mode 000), whoever runs the test.
    """

    def __init__(
        self, dev_root: str | Path = "/dev", identity: tuple[int, set[int]] | None = None
    ) -> None:
        self.dev_root = Path(dev_root)
        self.identity = identity

    def path(self, index: int) -> Path:
        return self.dev_root / f"video{index}"

    def problem(self, index: int) -> CameraAccess | None:
        """None when device ``index`` is absent or may be opened; else what is wrong, the
        message (with its key and args) and the command that fixes it."""
        path = self.path(index)
        try:
            info = path.stat()
        except OSError:
            return None  # not there: nothing to say about permission
        if self._may_open(path, info):
            return None
        group = _group_name(info.st_gid)
        command = FIX_COMMAND.format(group=group)
        return CameraAccess(
            index=index,
            device=str(path),
            problem="permission",
            **msg("camera.permission_denied", path=str(path), command=command).fields("message"),
            fix_command=command,
            group=group,
        )

    def _may_open(self, path: Path, info: os.stat_result) -> bool:
        if self.identity is None:
            return os.access(path, os.R_OK | os.W_OK)
        uid, gids = self.identity
        if uid == 0:
            return True
        mode = info.st_mode
        if info.st_uid == uid:
            bits = (mode >> 6) & 7
        elif info.st_gid in gids:
            bits = (mode >> 3) & 7
        else:
            bits = mode & 7
        return bits & 6 == 6  # read and write


def _group_name(gid: int) -> str:
    """The device's group by name (``video`` on most systems), else ``video``."""
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return "video"


class CaptureSource:
    """Anything cv2.VideoCapture reads at its own pace: a device or a network stream."""

    kind = "device"
    opens_slowly = False  # open() answers at once (a URL may not: see UrlSource)

    def __init__(
        self, spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit | None = None
    ) -> None:
        self.spec = spec
        self.cfg = cfg
        self.limit = limit  # media.max_megapixels, checked on the size the stream declares
        self.fps = cfg.fps
        self.label = f"device {spec.target}"
        self._cap: cv2.VideoCapture | None = None

    def _capture(self) -> cv2.VideoCapture:
        return cv2.VideoCapture(int(self.spec.target))

    def _open_failed(self) -> SourceError:
        return DeviceNotOpen(msg("camera.device_not_open", label=self.label))

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
        self._within_limit(cap)
        self._cap = cap

    def _within_limit(self, cap: cv2.VideoCapture) -> None:
        """A stream whose frames hold more than ``media.max_megapixels`` is refused from the
        size it declares on opening (nothing is decoded yet: a 10000x10000 px MJPEG over
        HTTP opened in 57 MB, its first frame read took 780 MB and 7 s)."""
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if self.limit is not None and width * height > self.limit.max_pixels:
            cap.release()
            refused = self.limit.refuse("video", width, height, "source")
            raise SourceTooLarge(refused.keyed)

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
    return CaptureSource(spec, cfg, limit)


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
) -> list[CameraDevice]:
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
        named.append(CameraDevice(index=index, name=name, path=path, virtual=virtual))
    return named
