"""Sinks that follow the output slot in their own thread: the virtual camera (the recorder
is recorder.py)."""

from __future__ import annotations

import logging
import re
import shlex
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.frames import LatestSlot
from ar_backend.stages import Lap, StageMeter
from shared.messages import KeyedError, Message, msg, text_fields
from shared.places import PACKAGE_ROOT as SHARED_ROOT
from shared.places import Places, find_places
from shared.wire.backend import VirtualCameraStatus

log = logging.getLogger(__name__)


def setup_script(places: Places | None = None) -> Path:
    """The script that creates the virtual camera: ``scripts/setup_virtual_camera.sh`` in a
    checkout; installed (pipx, pip), the copy that ships inside the app."""
    here = places or find_places()
    if here.checkout:
        return here.home / "scripts" / "setup_virtual_camera.sh"
    return SHARED_ROOT / "setup_virtual_camera.sh"


SETUP_DEFAULT_NUMBER = 10  # the device number the script creates unless told another


class OutputUnavailable(KeyedError):
    """The output cannot start here; the message names the fix in a person's words,
    ``setup_command`` is the command line that makes it (None where there is none to run)
    and ``detail`` the library's own words (for a tooltip, a log)."""

    def __init__(
        self, message: Message | str, setup_command: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.setup_command = setup_command
        self.detail = detail
        # added to the API's 503 answer
        self.details = {"setup_command": setup_command, "error_detail": detail}


def vcam_setup_command(device: str | None, linux: bool | None = None) -> str | None:
    """The command that creates the virtual camera (Linux: scripts/setup_virtual_camera.sh
    with sudo, by its absolute path when it is there, with ``--device-number N`` when
    ``outputs.virtual_camera.device`` names another /dev/videoN than the script's 10); None
    elsewhere (OBS Studio's virtual camera is started from OBS)."""
    if not (sys.platform.startswith("linux") if linux is None else linux):
        return None
    command = ["sudo", "bash", str(setup_script())]
    number = re.fullmatch(r"/dev/video([0-9]{1,3})", device or "")
    if number and int(number.group(1)) != SETUP_DEFAULT_NUMBER:
        command += ["--device-number", str(int(number.group(1)))]
    return shlex.join(command)


class FollowerSink:
    """Base: a thread that writes each new output frame; ``stop()`` closes what it opened."""

    name = "sink"
    stopped_key = "sink.stopped"  # the message of a write that failed: {detail}

    def __init__(self, slot: LatestSlot) -> None:
        self._slot = slot
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames = 0
        self.error: Message | None = None  # why it stopped by itself
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.stages = StageMeter()  # "write": each frame's conversion and sending

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
                lap = Lap()
                try:
                    self._write(frame.image)
                except Exception as exc:
                    detail = f"{type(exc).__name__}: {exc}"
                    self.error = Message(self.stopped_key, {"detail": detail})
                    log.error("%s stopped: %s", self.name, self.error)
                    return
                self.stages.lap("write", lap)
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
        if self.started_at is not None and self.stopped_at is None:
            self.stopped_at = time.time()

    def seconds(self) -> float | None:
        """How long it has run (until it stopped)."""
        if self.started_at is None:
            return None
        return round(max(0.0, (self.stopped_at or time.time()) - self.started_at), 3)


class VirtualCamera(FollowerSink):
    """Sends the output to a virtual camera (v4l2loopback, OBS) through pyvirtualcam."""

    name = "virtual-camera"
    stopped_key = "vcam.stopped"

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
            pip = shlex.join([sys.executable, "-m", "pip", "install", "pyvirtualcam"])
            raise OutputUnavailable(
                msg("vcam.no_pyvirtualcam", command=pip), pip, str(exc)
            ) from exc
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
            command = vcam_setup_command(device)
            message = (
                msg("vcam.no_device", command=command) if command else msg("vcam.no_device_other")
            )
            raise OutputUnavailable(message, command, f"{type(exc).__name__}: {exc}") from exc
        self.device = self._cam.device
        self._start_thread()

    def _write(self, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size)
        self._cam.send(image)

    def _close(self) -> None:
        self._cam.close()

    def status(self) -> VirtualCameraStatus:
        return VirtualCameraStatus(
            active=self.active,
            device=self.device,
            frames=self.frames,
            stages=self.stages.summary(),
            **text_fields("error", self.error),
        )
