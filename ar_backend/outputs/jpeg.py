"""JPEGs of the newest output frame, encoded once however many viewers there are."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import cv2

from ar_backend.frames import Frame, LatestSlot

BOUNDARY = "frame"


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

    def _encode(self, frame: Frame) -> bytes:
        with self._lock:
            if frame.seq != self._seq:
                t0 = time.perf_counter()
                ok, buf = cv2.imencode(
                    ".jpg", frame.image, [int(cv2.IMWRITE_JPEG_QUALITY), self.quality]
                )
                if not ok:
                    raise RuntimeError("JPEG encoding failed")
                self._jpeg = buf.tobytes()
                self._seq = frame.seq
                self.encoded += 1
                self.encode_ms = (time.perf_counter() - t0) * 1000
            return self._jpeg

    def snapshot(self) -> bytes | None:
        frame = self._slot.latest()
        return None if frame is None else self._encode(frame)

    def stream(
        self, stop: threading.Event | None = None, idle_timeout: float = 1.0
    ) -> Iterator[bytes]:
        """multipart/x-mixed-replace parts, always the newest frame (a slow viewer skips)."""
        last = -1
        while stop is None or not stop.is_set():
            frame = self._slot.wait_newer(last, idle_timeout)
            if frame is None:
                if self._slot.closed:
                    return  # the studio is shutting down
                continue
            last = frame.seq
            jpeg = self._encode(frame)
            yield (
                (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                    f"X-Frame-Seq: {frame.seq}\r\n\r\n"
                ).encode()
                + jpeg
                + b"\r\n"
            )
