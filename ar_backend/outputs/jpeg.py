"""JPEGs of the newest output frame, encoded once however many viewers there are, and the
viewers themselves: capped, and dropped when they stall."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import cv2

from ar_backend.frames import Frame, LatestSlot
from ar_backend.stages import Lap, StageMeter
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)

BOUNDARY = "frame"


class TooManyViewers(Exception):
    """The preview has its cap of viewers (a 503 to the API, naming the cap)."""

    def __init__(self, cap: int) -> None:
        super().__init__(
            f"the preview already has {cap} viewers, its cap (outputs.max_viewers = {cap}); "
            "close one, or raise the cap (it must stay below server.threads)"
        )
        self.details = {"max_viewers": cap}


class Viewer:
    """One MJPEG viewer: when it last took a frame, and how to drop its connection."""

    def __init__(self, owner: Viewers, abort: Callable[[], None] | None) -> None:
        self._owner = owner
        self._abort = abort
        self.sending_since: float | None = None  # a part handed to the server, not yet taken
        self.aborted = False

    def sending(self) -> None:
        self.sending_since = time.monotonic()

    def sent(self) -> None:
        self.sending_since = None

    def drop(self) -> None:
        """Give up on this viewer: its connection is closed, so its thread is freed."""
        self.aborted = True
        if self._abort is not None:
            with contextlib.suppress(Exception):  # gone already
                self._abort()

    def leave(self) -> None:
        self._owner.leave(self)


class Viewers:
    """Admits at most ``cap`` viewers; a watchdog drops one that takes no frame for
    ``stall_timeout`` seconds. Each viewer holds a server thread while it watches, so the
    cap keeps threads for the API, and the watchdog gets a stalled client's thread back.

    The owner calls ``close()``; the watchdog thread runs while there are viewers.
    """

    def __init__(self, cap: int, stall_timeout: float) -> None:
        self.cap = cap
        self.stall_timeout = stall_timeout
        self.dropped = 0  # viewers dropped for stalling
        self.refused = 0  # viewers refused at the cap
        self._active: set[Viewer] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._watchdog = PeriodicWorker(
            "mjpeg-viewers", self._drop_stalled, min(1.0, stall_timeout / 4), logger=log
        )

    @property
    def count(self) -> int:
        return len(self._active)

    def enter(self, abort: Callable[[], None] | None = None) -> Viewer:
        """A new viewer, or TooManyViewers; ``abort`` closes its connection (server-specific;
        without one a stalled viewer is only let go when the server gives its thread back)."""
        with self._lock:
            if len(self._active) >= self.cap:
                self.refused += 1
                raise TooManyViewers(self.cap)
            viewer = Viewer(self, abort)
            self._active.add(viewer)
            if not self._closed:
                self._watchdog.start()  # a no-op once it runs
            return viewer

    def leave(self, viewer: Viewer) -> None:
        with self._lock:
            self._active.discard(viewer)

    def _drop_stalled(self) -> None:
        """One round of the ``mjpeg-viewers`` thread: let go of viewers that stalled."""
        now = time.monotonic()
        with self._lock:
            stalled = [
                v
                for v in self._active
                if not v.aborted
                and v.sending_since is not None
                and now - v.sending_since > self.stall_timeout
            ]
        for viewer in stalled:
            self.dropped += 1
            log.info(
                "a preview viewer took no frame for %g s: disconnected (%d so far)",
                self.stall_timeout,
                self.dropped,
            )
            viewer.drop()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._watchdog.stop(timeout=5)

    def status(self) -> dict[str, int | float]:
        return {
            "viewers": self.count,
            "max_viewers": self.cap,
            "viewers_refused": self.refused,
            "viewers_dropped_stalled": self.dropped,
            "viewer_stall_timeout": self.stall_timeout,
        }


class JpegCache:
    """Encodes each output frame at most once, on the first request for it."""

    def __init__(self, slot: LatestSlot, quality: int = 80) -> None:
        self._slot = slot
        self.quality = quality
        self._lock = threading.Lock()
        self._seq = -1
        self._jpeg = b""
        self.encoded = 0
        self.encode_ms = 0.0
        self.stages = StageMeter()  # "jpeg": each encode's wall and CPU ms

    def _encode(self, frame: Frame) -> bytes:
        with self._lock:
            if frame.seq != self._seq:
                lap = Lap()
                ok, buf = cv2.imencode(
                    ".jpg", frame.image, [int(cv2.IMWRITE_JPEG_QUALITY), self.quality]
                )
                if not ok:
                    raise RuntimeError("JPEG encoding failed")
                self._jpeg = buf.tobytes()
                self._seq = frame.seq
                self.encoded += 1
                self.encode_ms, _cpu = self.stages.lap("jpeg", lap)
            return self._jpeg

    def snapshot(self) -> bytes | None:
        frame = self._slot.latest()
        return None if frame is None else self._encode(frame)

    def stream(
        self,
        stop: threading.Event | None = None,
        idle_timeout: float = 1.0,
        viewer: Viewer | None = None,
    ) -> Iterator[bytes]:
        """multipart/x-mixed-replace parts, always the newest frame (a slow viewer skips).

        With ``viewer``, each part handed to the server is timed until it is taken, so the
        watchdog of :class:`Viewers` can drop a viewer that stalls."""
        last = -1
        while (stop is None or not stop.is_set()) and not (viewer and viewer.aborted):
            frame = self._slot.wait_newer(last, idle_timeout)
            if frame is None:
                if self._slot.closed:
                    return  # the studio is shutting down
                continue
            last = frame.seq
            jpeg = self._encode(frame)
            position = frame.meta.get("source_frame")
            source_frame = f"X-Source-Frame: {position}\r\n" if position is not None else ""
            part = (
                (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                    f"X-Frame-Seq: {frame.seq}\r\n{source_frame}\r\n"
                ).encode()
                + jpeg
                + b"\r\n"
            )
            if viewer is not None:
                viewer.sending()
            yield part  # the server blocks here while this viewer's buffer is full
            if viewer is not None:
                viewer.sent()
