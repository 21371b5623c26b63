"""Recording the output to a real file: H.264 (the file jobs' encoder, PyAV) and, while the
voice runs, the changed voice as AAC, both on the capture clock.

- Each video frame is stamped with its capture time (``Frame.captured``) from the moment the
  take started, and the last picture is held until the moment it stopped: a 15 s take lasts
  15 s whatever the live rate (a slow swap drops frames, it does not slow the film down). A
  frame the encoder has no room for is skipped and counted.
- Each block of voice comes with the capture time of its first sample (the audio path's own
  latency taken off), so a sound and the frame captured with it land together. The audio
  track is one unbroken run of samples: where the voice's clock and the stamps part by more
  than ``RESYNC_S`` (a gap in the source, a hiccup), silence is inserted or samples are
  dropped, so it never drifts from the picture.
- The encoder (and the recorder's thread) runs below the live path's priority
  (``RECORD_NICE``): on a busy machine it is the recording that skips a frame (counted in
  ``frames_skipped``), never the live path that waits. ``outputs.record_preset: auto`` picks
  the x264 preset by the picture's pixel rate (:func:`auto_preset`).
- The file is written as ``NAME.partial.mp4`` in fragments (one a second, each starting on a
  keyframe), renamed to ``NAME.mp4`` when it is finished: a crash leaves at most a playable
  partial file, named as such.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.frames import LatestSlot
from ar_backend.jobs.media_io import (
    MEDIA_ERRORS,
    EncodeThread,
    h264_stream,
    lower_this_thread,
    reason,
)
from ar_backend.stages import Lap, StageMeter
from shared.messages import Message, msg, text_fields
from shared.wire.backend import RecordingStatus

log = logging.getLogger(__name__)

PARTIAL = ".partial"
TIME_BASE = Fraction(1, 1000)  # video timestamps in ms of capture time
RESYNC_S = 0.02
AUDIO_QUEUE_S = 2.0  # voice waiting for the writer; older blocks are dropped past it
FRAGMENT_OPTIONS = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof",
    "flush_packets": "1",  # each fragment reaches the disk when it is complete
}


RECORD_NICE = 5  # the recorder's threads (x264's too) run this far below the live path
# outputs.record_preset auto: the slowest x264 preset whose cost stays near half a core at
# the picture's pixel rate (measured on 2 cores: veryfast ~13 ms of CPU per megapixel,
# superfast ~9, ultrafast ~7), by pixels per second up to which each is taken
AUTO_PRESETS = ((30e6, "veryfast"), (45e6, "superfast"))
AUTO_FALLBACK = "ultrafast"


def auto_preset(size: tuple[int, int], fps: float) -> str:
    """The preset ``auto`` takes for ``size`` at ``fps``: veryfast up to 720p30, superfast
    up to about 1.5 times that, ultrafast above (1080p30, 720p60)."""
    rate = size[0] * size[1] * max(fps, 1.0)
    return next((preset for limit, preset in AUTO_PRESETS if rate <= limit), AUTO_FALLBACK)


def partial_path(path: Path) -> Path:
    """Where ``path`` is written until it is complete: ``take.mp4`` -> ``take.partial.mp4``."""
    return path.with_name(path.stem + PARTIAL + path.suffix)


class RecordingError(Exception):
    """The file cannot be opened for writing (the message says why)."""


class Recorder:
    """Follows the output slot in its own thread; ``add_audio`` may be called from any
    thread (the voice's). ``stop()`` finishes and renames the file."""

    name = "recorder"

    def __init__(
        self,
        slot: LatestSlot,
        path: Path,
        fps: float,
        size: tuple[int, int],
        *,
        crf: int = 23,
        preset: str = "auto",
        audio: tuple[int, int] | None = None,
    ) -> None:
        self._slot = slot
        self.path = path
        self.partial = partial_path(path)
        self.size = size
        self.fps = fps
        self.audio_format = audio  # (rate, channels) or None: video only
        self.preset = auto_preset(size, fps) if preset == "auto" else preset
        self._stop = threading.Event()
        self.frames = 0
        self.frames_skipped = 0
        self.audio_seconds = 0.0
        self.audio_resyncs = 0
        self.error: Message | None = None
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self._t0 = time.monotonic()  # the take's start on the capture clock
        self._t1: float | None = None  # and its end, once stop() is called
        self._last_pts = -1
        self._last_image: npt.NDArray[np.uint8] | None = None
        self._audio: deque[tuple[npt.NDArray[np.float32], float]] = deque()
        self._audio_lock = threading.Lock()
        self._audio_pts = 0  # samples written so far
        # "convert" (this thread: sized and padded for the encoder), "encode" (the encoder's)
        self.stages = StageMeter()
        try:
            self._out = av.open(str(self.partial), "w", format="mp4", options=FRAGMENT_OPTIONS)
            rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
            vout = h264_stream(
                self._out,
                size[0],
                size[1],
                rate=rate,
                time_base=TIME_BASE,
                crf=crf,
                preset=self.preset,
                keyframe_s=1.0,
                tune="zerolatency",
            )
            aout = None
            if audio is not None:
                layout = "stereo" if audio[1] >= 2 else "mono"
                aout = self._out.add_stream("aac", rate=audio[0], layout=layout)
            # beside the live path and below it: a frame it has no time for is skipped
            # (counted), the live path never waits for it
            self._encoder = EncodeThread(self._out, vout, aout, self.stages, nice=RECORD_NICE)
        except MEDIA_ERRORS as exc:
            with contextlib.suppress(Exception):
                self._out.close()
            self.partial.unlink(missing_ok=True)
            raise RecordingError(f"cannot write video to {self.partial}: {reason(exc)}") from exc
        self._pad = (vout.width - size[0], vout.height - size[1])
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    # ---- voice -----------------------------------------------------------------------------

    def add_audio(self, samples: npt.NDArray[np.float32], captured: float) -> None:
        """A block of the changed voice whose first sample was captured at ``captured``
        (monotonic). Kept until the writer thread takes it (2 s at most)."""
        if self.audio_format is None or self._stop.is_set():
            return
        with self._audio_lock:
            self._audio.append((samples, captured))
            rate = self.audio_format[0]
            while sum(len(s) for s, _ in self._audio) > AUDIO_QUEUE_S * rate:
                self._audio.popleft()

    def _write_audio(self) -> None:
        assert self.audio_format is not None
        rate, channels = self.audio_format
        with self._audio_lock:
            blocks = list(self._audio)
            self._audio.clear()
        for samples, captured in blocks:
            if self._t1 is not None and captured >= self._t1:
                continue  # after the take ended
            expected = round((captured - self._t0) * rate)
            if expected + len(samples) <= 0:
                continue  # all of it before the take began
            if expected < 0:
                samples, expected = samples[-expected:], 0
            drift = expected - self._audio_pts
            # the first block lands exactly where it belongs; later ones may wander a little
            # (a device's callback timing) before the track is pulled back into step
            if abs(drift) > (RESYNC_S * rate if self._audio_pts else 0):
                self.audio_resyncs += 1 if self._audio_pts else 0
                if drift > 0:  # the voice paused (or starts late): silence up to its place
                    self._send_audio(np.zeros((drift, channels), np.float32))
                else:  # late blocks overlap what is written: drop the overlap
                    samples = samples[-drift:]
            if len(samples):
                self._send_audio(samples)

    def _send_audio(self, samples: npt.NDArray[np.float32]) -> None:
        assert self.audio_format is not None
        rate, channels = self.audio_format
        if samples.shape[1] != channels:
            samples = np.repeat(samples.mean(axis=1, keepdims=True), channels, axis=1)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T, dtype=np.float32),
            format="fltp",
            layout="stereo" if channels >= 2 else "mono",
        )
        frame.sample_rate = rate
        frame.pts = self._audio_pts
        frame.time_base = Fraction(1, rate)
        self._encoder.put("audio", frame)
        self._audio_pts += len(samples)
        self.audio_seconds = self._audio_pts / rate

    # ---- video -----------------------------------------------------------------------------

    def _write_frame(self, image: npt.NDArray[np.uint8], captured: float) -> None:
        # a frame captured before the take began (the swap's latency) opens it at 0
        pts = max(0, round((captured - self._t0) / TIME_BASE))
        if pts <= self._last_pts:
            return  # the same capture instant (a re-sent frame)
        lap = Lap()
        if (image.shape[1], image.shape[0]) != self.size:
            image = np.asarray(cv2.resize(image, self.size), np.uint8)
        if any(self._pad):
            image = np.pad(image, ((0, self._pad[1]), (0, self._pad[0]), (0, 0)), mode="edge")
        self.stages.lap("convert", lap)
        if self._encoder.offer("video", (image, pts)):
            self._last_pts = pts
            self._last_image = image
            self.frames += 1
        else:
            self.frames_skipped += 1

    def _run(self) -> None:
        lower_this_thread(RECORD_NICE)
        last = -1
        flush = False
        try:
            while not self._stop.is_set():
                frame = self._slot.wait_newer(last, 0.2)
                if frame is not None:
                    last = frame.seq
                    self._write_frame(frame.image, frame.captured)
                if self.audio_format is not None:
                    self._write_audio()
                if frame is None and self._slot.closed:
                    break
            if self.audio_format is not None:
                self._write_audio()
            self._hold_last_frame()
            flush = True
        except Exception as exc:  # JobFailed from the encoder, an OS error
            self.error = msg("recording.stopped", detail=f"{type(exc).__name__}: {exc}")
            log.error("%s", self.error)
        finally:
            self._finish(flush)

    def _hold_last_frame(self) -> None:
        """The last picture again at the moment the take stopped, so the film lasts as long
        as the take (the frames still in the swap when it stopped are not waited for)."""
        if self._last_image is None or self._t1 is None:
            return
        pts = round((self._t1 - self._t0) / TIME_BASE)
        if pts > self._last_pts:
            self._encoder.put("video", (self._last_image, pts))
            self._last_pts = pts
            self.frames += 1  # (frames counts what the file holds)

    def _finish(self, flush: bool) -> None:
        try:
            self._encoder.close(flush=flush)
        except Exception as exc:
            self.error = self.error or msg(
                "recording.stopped", detail=f"{type(exc).__name__}: {exc}"
            )
        with contextlib.suppress(Exception):
            self._out.close()
        if self.error is None and self.frames:
            self.partial.replace(self.path)
        elif self.frames == 0:
            self.partial.unlink(missing_ok=True)
        # else: the partial file stays, playable up to its last fragment, named as such

    # ---- control ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._thread.is_alive()

    @property
    def file(self) -> Path:
        """The take's file: its final name, unless it ended without one (a failure leaves the
        partial file, playable, named as such)."""
        if self.active or self.path.exists() or not self.partial.exists():
            return self.path
        return self.partial

    def stop(self) -> None:
        if self._t1 is None:
            self._t1 = time.monotonic()
        self._stop.set()
        self._thread.join(timeout=30)
        if self.stopped_at is None:
            self.stopped_at = time.time()

    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return round(max(0.0, (self.stopped_at or time.time()) - self.started_at), 3)

    def status(self) -> RecordingStatus:
        file = self.file
        return RecordingStatus(
            active=self.active,
            file=file.name,
            path=str(file),
            folder=str(file.parent),
            writing=self.partial.name if self.active else None,
            started_at=self.started_at,
            seconds=self.seconds(),
            frames=self.frames,
            frames_skipped=self.frames_skipped,
            preset=self.preset,
            audio=self.audio_format is not None,
            audio_seconds=round(self.audio_seconds, 3),
            audio_resyncs=self.audio_resyncs,
            stages=self.stages.summary(),
            **text_fields("error", self.error),
        )
