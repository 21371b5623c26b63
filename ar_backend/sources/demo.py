"""``demo``: a moving, zooming crop of a photo with a real face, from an installed package.

So a machine with no camera still shows a live stream (and, with face swap, a live swap).
The photo is scikit-image's astronaut, located without importing scikit-image.
"""

from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path

import cv2
import numpy as np

from ar_backend.config import CameraConfig
from ar_backend.face.imaging.pixel_limit import PixelLimit
from ar_backend.sources.base import Pacer, SourceError, SourceSpec, register


def demo_photo_path() -> Path | None:
    for package, rel in (("skimage", "data/astronaut.png"), ("insightface", "data/images/t1.jpg")):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / rel
        if path.is_file():
            return path
    return None


def demo_crop(t: float, shape: tuple[int, ...], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The photo's crop (x0, y0, width, height) shown ``t`` seconds in (a slow pan and zoom)."""
    h, w = shape[:2]
    out_w, out_h = size
    zoom = 1.0 + 0.25 * (1 + math.sin(t * 0.6))  # 1.0 .. 1.5
    crop_w = min(w, int(w / zoom))
    crop_h = min(h, int(crop_w * out_h / out_w))
    cx = w / 2 + (w - crop_w) / 2 * 0.6 * math.sin(t * 0.35)
    cy = h / 2 + (h - crop_h) / 2 * 0.6 * math.cos(t * 0.27)
    x0 = int(max(0, min(w - crop_w, cx - crop_w / 2)))
    y0 = int(max(0, min(h - crop_h, cy - crop_h / 2)))
    return x0, y0, crop_w, crop_h


def demo_frame(photo: np.ndarray, t: float, size: tuple[int, int]) -> np.ndarray:
    """The demo's frame ``t`` seconds in (benchmarks rebuild the stream with it)."""
    x0, y0, crop_w, crop_h = demo_crop(t, photo.shape, size)
    crop = photo[y0 : y0 + crop_h, x0 : x0 + crop_w]
    return cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)


class DemoSource:
    kind = "demo"
    opens_slowly = False
    label = "demo"

    def __init__(self, spec: SourceSpec, cfg: CameraConfig) -> None:
        self.fps = cfg.fps
        self.size = (min(cfg.width, 1280), min(cfg.height, 720))
        self._photo: np.ndarray | None = None
        self._pacer = Pacer(self.fps)
        self._t0 = time.monotonic()

    def open(self) -> None:
        path = demo_photo_path()
        if path is None:
            raise SourceError("the demo photo is missing: pip install scikit-image")
        photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if photo is None:
            raise SourceError(f"cannot read the demo photo {path}")
        self._photo = photo
        self.label = f"demo ({path.name})"

    def read(self) -> np.ndarray | None:
        if self._photo is None:
            return None
        self._pacer.wait()
        return demo_frame(self._photo, time.monotonic() - self._t0, self.size)

    def close(self) -> None:
        self._photo = None


@register("demo")
def _demo(spec: SourceSpec, cfg: CameraConfig, limit: PixelLimit) -> DemoSource:
    return DemoSource(spec, cfg)
