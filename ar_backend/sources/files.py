"""A video file (looped, played in real time, its sound published to the voice path) and a
still image (a still stream).

Neither decodes a file whose header declares more pixels than ``media.max_megapixels``
(:mod:`ar_backend.face.imaging.pixel_limit`): the size is checked when the source opens, and
again whenever the file on disk has changed since (a loop reopens it).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error
import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.sources.base import Pacer, SourceError, SourceSpec, SourceTooLarge, register
from ar_backend.sources.sound import SourceSound

log = logging.getLogger(__name__)


class _SizeChecked:
    """The pixel check of a file source, done again only when the file changed."""

    def __init__(self, path: Path, limit: PixelLimit, video: bool) -> None:
        self.path, self.limit, self.video = path, limit, video
        self._checked: tuple[int, int] | None = None  # (size, mtime_ns) last found within

    def __call__(self) -> None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return  # (opening it says what is wrong)
        stamp = (stat.st_size, stat.st_mtime_ns)
        if stamp == self._checked:
            return
        try:
            if self.video:
                check_video(self.path, self.limit, field="source")
            else:
                check_picture(self.path, self.limit, name=self.path.name, field="source")
        except TooManyPixels as exc:
            raise SourceTooLarge(exc.keyed) from None
        except SizeUnreadable as exc:
            raise SourceError(exc.keyed) from None
        self._checked = stamp


class SoundTrack:
    """A file's first audio stream, decoded by PyAV and resampled to the voice path's rate
    and channels, handed out by media time."""

    def __init__(self, path: Path, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self._container: Any = av.open(str(path), "r")
        stream = self._container.streams.audio[0]
        self._decoded: Iterator[Any] = self._container.decode(stream)
        layout = "stereo" if channels >= 2 else "mono"
        self._resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        self.position = 0  # samples handed out so far (media time x rate)
        self.ended = False

    @staticmethod
    def opens(path: Path) -> bool:
        """Whether ``path`` has an audio stream PyAV reads."""
        try:
            with av.open(str(path), "r") as container:
                return bool(container.streams.audio)
        except (av.error.FFmpegError, OSError, ValueError):
            return False

    def until(self, media_s: float) -> list[npt.NDArray[np.float32]]:
        """The samples from where the last call ended up to ``media_s`` (or the end)."""
        want = round(media_s * self.rate)
        out: list[npt.NDArray[np.float32]] = []
        while self.position < want and not self.ended:
            try:
                frame = next(self._decoded)
            except (StopIteration, av.error.FFmpegError):
                self.ended = True
                break
            for piece in self._resampler.resample(frame):
                samples = piece.to_ndarray().reshape(-1, self.channels).astype(np.float32)
                out.append(samples)
                self.position += len(samples)
        return out

    def close(self) -> None:
        self._container.close()


class VideoFileSource:
    kind = "file"
    opens_slowly = False

    def __init__(self, spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> None:
        # absolute: FFmpeg never reads a leading 'name:' of a path as a protocol
        self.path = Path(spec.target).absolute()
        self.label = f"file {self.path.name}"
        self.fps = cfg.fps
        self._check = _SizeChecked(self.path, limit, video=True)
        self._cap: cv2.VideoCapture | None = None
        # the file plays in real time: frame i of this loop is due at _t0 + i / fps; frames
        # the machine could not decode in time are skipped (counted), so the picture and its
        # sound never fall behind the clock
        self._t0 = 0.0
        self.captured_at: float | None = None
        self.frames_skipped = 0
        # set by the studio: where this file's sound goes (the voice path's "source" input)
        self.sound: SourceSound | None = None
        self.has_sound = False
        self._track: SoundTrack | None = None
        self._frame_index = 0  # frames read since the start of this loop of the file
        # the index in the file of the frame read last (frames skipped to keep to the clock
        # leave gaps): the pipeline stamps it on the frame, so a viewer can tell which frame
        # of the file it is looking at (X-Source-Frame on /video_feed)
        self.position: int | None = None
        self.decode_ms: float | None = None  # the last read's decoding (not its wait), ms

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._check()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"OpenCV cannot read {self.path} as a video")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if fps and 1 <= fps <= 240:
            self.fps = float(fps)
        self._cap = cap
        self._t0 = time.monotonic()
        self._frame_index = 0
        self.has_sound = SoundTrack.opens(self.path)
        self._open_sound()

    def _open_sound(self) -> None:
        if self._track is not None:
            self._track.close()
            self._track = None
        if self.sound is None or not self.has_sound:
            return
        try:
            self._track = SoundTrack(self.path, self.sound.rate, self.sound.channels)
        except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
            log.warning("%s: its sound cannot be read (%s); the picture plays", self.label, exc)
            return
        self.sound.attach(self.label)

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        started = time.perf_counter()
        behind = int((time.monotonic() - self._t0) * self.fps) - self._frame_index
        ok = True
        for _ in range(max(0, behind - 1)):  # late by more than a frame: skip to the clock
            ok = self._cap.grab()
            if not ok:
                break
            self._frame_index += 1
            self.frames_skipped += 1
        image = None
        if ok:
            ok, image = self._cap.read()
        if not ok:  # the end: loop from the start (reopen, as seeking is unreliable)
            self._cap.release()
            self._cap = None
            if not self.path.is_file():
                return None
            try:
                self._check()  # (replaced since it opened: checked again)
            except SourceError:
                return None  # the pipeline reconnects: open() then says why
            self._cap = cv2.VideoCapture(str(self.path))
            ok, image = self._cap.read()
            if not ok:
                return None
            self._t0 += self._frame_index / self.fps  # the next loop starts where this ended
            self._frame_index = 0
            self._open_sound()
        self.decode_ms = (time.perf_counter() - started) * 1000
        due = self._t0 + self._frame_index / self.fps
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        self.captured_at = due  # the frame's capture time: when it is due on the file's clock
        self.position = self._frame_index
        self._publish_sound(due)  # and its sound on the same clock
        self._frame_index += 1
        return image

    def _publish_sound(self, captured: float) -> None:
        """The sound that plays with this frame (up to the next one), stamped on the
        frames' clock: a sample at media time t is captured at captured + (t - frame time)."""
        if self._track is None or self.sound is None:
            return
        frame_s = self._frame_index / self.fps
        start = self._track.position
        for samples in self._track.until(frame_s + 1 / self.fps):
            self.sound.publish(samples, captured + (start / self._track.rate - frame_s))
            start += len(samples)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        if self._track is not None:
            self._track.close()
            self._track = None
            if self.sound is not None:
                self.sound.attach(None)


class ImageSource:
    kind = "image"
    opens_slowly = False

    def __init__(self, spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> None:
        self.path = Path(spec.target).absolute()
        self.label = f"image {self.path.name}"
        self.fps = cfg.fps
        self._check = _SizeChecked(self.path, limit, video=False)
        self._image: np.ndarray | None = None
        self._pacer = Pacer(self.fps)

    def open(self) -> None:
        if self.path.is_file():
            self._check()
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"cannot read image {self.path}")
        self._image = image

    def read(self) -> np.ndarray | None:
        if self._image is None:
            return None
        self._pacer.wait()
        return self._image.copy()

    def close(self) -> None:
        self._image = None


@register("file")
def _file(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> VideoFileSource:
    return VideoFileSource(spec, cfg, limit)


@register("image")
def _image(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> ImageSource:
    return ImageSource(spec, cfg, limit)
