"""A video file (looped, paced at its own fps) and a still image (a still stream).

Neither decodes a file whose header declares more pixels than ``media.max_megapixels``
(:mod:`ar_backend.face.imaging.pixel_limit`): the size is checked when the source opens, and
again whenever the file on disk has changed since (a loop reopens it).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.sources.base import Pacer, SourceError, SourceSpec, SourceTooLarge, register


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
        self._pacer: Pacer | None = None

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
        self._pacer = Pacer(self.fps)

    def read(self) -> np.ndarray | None:
        if self._cap is None or self._pacer is None:
            return None
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
        self._pacer.wait()
        return image

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


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
