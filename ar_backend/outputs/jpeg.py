"""JPEGs of the newest output frame, encoded once however many viewers there are, and the
viewers themselves: capped, and dropped when they stall."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

import cv2

from ar_backend.face.imaging.scale import shrink_to_width
from ar_backend.frames import Frame, LatestSlot
from ar_backend.knobs import LevelKnob
from ar_backend.stages import Lap, StageMeter
from shared.messages import msg
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


PREVIEW_LEVELS = (  # the preview knob's levels: (most px wide or None, the quality cap)
    (None, None),
    (None, 60),
    (640, 50),
    (640, 50),  # ... and at most PREVIEW_FPS frames a second to each viewer
)
PREVIEW_FPS = 30  # the preview's rate at the last level (a 60 fps source: every other frame)
PREVIEW_SLACK_S = 0.004  # a frame this much early for the rate cap is still sent


class JpegCache:
    """Encodes each output frame at most once per width asked for, on the first request for
    it: a viewer watching at 640 px gets a 640 px JPEG (the window asks for its preview's
    width), and nothing is encoded while nobody watches."""

    def __init__(self, slot: LatestSlot, quality: int = 80) -> None:
        self._slot = slot
        self.quality = quality
        self._lock = threading.Lock()
        # (width, quality): (seq, JPEG) of the newest frame, and when one was last encoded
        self._cache: dict[tuple[int | None, int], tuple[int, bytes]] = {}
        self._recent: dict[tuple[int | None, int], tuple[float, float]] = {}
        self.encoded = 0
        self.encode_ms = 0.0
        self.stages = StageMeter()  # "jpeg": each encode's wall and CPU ms
        self.level = 0  # the governor's preview knob (PREVIEW_LEVELS)
        # the frames viewers were sent JPEGs of over the last second: (when, its seq)
        self._encoded_at: deque[tuple[float, int]] = deque()

    def knob(self) -> LevelKnob:
        """The preview's knob for the quality governor: a rougher, then a smaller preview
        (the person's own view only: the virtual camera and recordings are untouched)."""
        small, small_quality = PREVIEW_LEVELS[2]
        return LevelKnob(
            "preview",
            [
                msg("governor.preview_full"),
                msg("governor.preview_quality", quality=PREVIEW_LEVELS[1][1]),
                msg("governor.preview_small", width=small, quality=small_quality),
                msg("governor.preview_slow", width=small, quality=small_quality, fps=PREVIEW_FPS),
            ],
            importance=1.0,
            apply=self._set_level,
            cost=self.cost_ms,
        )

    def _set_level(self, level: int) -> None:
        self.level = level

    def cost_ms(self) -> float:
        """Encoding ms per frame out now: one encode per size watched in the last second; at
        the level before the rate cap, the share of it the cap would save (0 while viewers
        get no more than a fifth over PREVIEW_FPS frames a second)."""
        now = time.monotonic()
        ms = sum(ms for at, ms in list(self._recent.values()) if now - at < 1.0)
        if self.level < len(PREVIEW_LEVELS) - 2:
            return ms
        # (frames, not encodes: two sizes watched encode each frame twice)
        rate = len({seq for at, seq in list(self._encoded_at) if now - at < 1.0})
        return ms * (1.0 - PREVIEW_FPS / rate) if rate > 1.2 * PREVIEW_FPS else 0.0

    def _encode(self, frame: Frame, width: int | None = None, governed: bool = True) -> bytes:
        """``frame`` as JPEG at ``width`` (None: its own size) and the configured quality,
        both capped by the preview knob's level when ``governed`` (a viewer's stream; a
        snapshot is a picture the person keeps: never capped)."""
        quality = self.quality
        if governed:
            cap, quality_cap = PREVIEW_LEVELS[self.level]
            if cap is not None:
                width = min(width or cap, cap)
            quality = min(quality, quality_cap or quality)
        if width is not None and width >= frame.image.shape[1]:
            width = None  # the frame's own size
        key = (width, quality)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == frame.seq:
                return cached[1]
            lap = Lap()
            image = frame.image if width is None else shrink_to_width(frame.image, width)
            ok, buf = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            jpeg = buf.tobytes()
            # only the newest frame's JPEGs are kept
            self._cache = {k: v for k, v in self._cache.items() if v[0] == frame.seq}
            self._cache[key] = (frame.seq, jpeg)
            self.encoded += 1
            self.encode_ms, _cpu = self.stages.lap("jpeg", lap)
            now = time.monotonic()
            self._recent[key] = (now, self.encode_ms)
            if governed:
                self._encoded_at.append((now, frame.seq))
                while self._encoded_at and now - self._encoded_at[0][0] > 1.0:
                    self._encoded_at.popleft()
            return jpeg

    def snapshot(self, width: int | None = None) -> bytes | None:
        frame = self._slot.latest()
        return None if frame is None else self._encode(frame, width, governed=False)

    def stream(
        self,
        stop: threading.Event | None = None,
        idle_timeout: float = 1.0,
        viewer: Viewer | None = None,
        width: int | None = None,
    ) -> Iterator[bytes]:
        """multipart/x-mixed-replace parts, always the newest frame (a slow viewer skips),
        ``width`` px wide when given (never wider than the frame).

        With ``viewer``, each part handed to the server is timed until it is taken, so the
        watchdog of :class:`Viewers` can drop a viewer that stalls."""
        last = -1
        sent_at = float("-inf")
        while (stop is None or not stop.is_set()) and not (viewer and viewer.aborted):
            frame = self._slot.wait_newer(last, idle_timeout)
            if frame is None:
                if self._slot.closed:
                    return  # the studio is shutting down
                continue
            last = frame.seq
            now = time.monotonic()
            if self.level >= len(PREVIEW_LEVELS) - 1 and (
                now - sent_at < 1.0 / PREVIEW_FPS - PREVIEW_SLACK_S
            ):
                continue  # (the governor's rate cap: this viewer takes the next one)
            sent_at = now
            jpeg = self._encode(frame, width)
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
