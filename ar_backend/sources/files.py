"""A video file (looped, paced at its own fps) and a still image (a still stream)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import CameraConfig
from ar_backend.sources.base import Pacer, SourceError, SourceSpec, register


class VideoFileSource:
    kind = "file"
    opens_slowly = False

    def __init__(self, spec: SourceSpec, cfg: CameraConfig) -> None:
        # absolute: FFmpeg never reads a leading 'name:' of a path as a protocol
        self.path = Path(spec.target).absolute()
        self.label = f"file {self.path.name}"
        self.fps = cfg.fps
        self._cap: cv2.VideoCapture | None = None
        self._pacer: Pacer | None = None

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
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

    def __init__(self, spec: SourceSpec, cfg: CameraConfig) -> None:
        self.path = Path(spec.target).absolute()
        self.label = f"image {self.path.name}"
        self.fps = cfg.fps
        self._image: np.ndarray | None = None
        self._pacer = Pacer(self.fps)

    def open(self) -> None:
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
def _file(spec: SourceSpec, cfg: CameraConfig) -> VideoFileSource:
    return VideoFileSource(spec, cfg)


@register("image")
def _image(spec: SourceSpec, cfg: CameraConfig) -> ImageSource:
    return ImageSource(spec, cfg)
