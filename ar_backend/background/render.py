"""The background of one stream of frames, in order (the live path's, or a file job's):
:class:`Renderer` cuts the person out by person segmentation (ar_backend/face/detect/person.py,
the mask steadied across frames), keeps the faces the swap tracks whole whatever the mask
says, and puts the backdrop (the frame blurred, a colour, a picture) behind; the pixel work
is compose.py's.

:class:`Snapshot` is what a frame is painted with: the settings and image mode's picture.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.background import compose
from ar_backend.config import BackgroundConfig
from ar_backend.face.detect import person
from ar_backend.face.detect.base import ModelFiles
from ar_backend.face.errors import BadImage
from ar_backend.face.imaging.images import decode_image
from ar_backend.face.imaging.pixel_limit import PixelLimit, SizeUnreadable, check_picture
from ar_backend.face.runtime.litert import ModelLoadError

EMA = 0.6  # each frame's share of the person mask (a steadier edge; motion still follows)

Image = npt.NDArray[np.uint8]
Polygon = npt.NDArray[np.float64]


class BackgroundError(Exception):
    """A refused setting: ``status`` (400 a bad value, 404 no such file, 503 cannot run
    here) and the request ``field`` it names."""

    def __init__(self, status: int, message: str, field: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class Snapshot:
    """What a frame is painted with, replaced whole: the settings and the picture."""

    settings: BackgroundConfig
    picture: Image | None = None  # image mode's picture, decoded


class Renderer:
    """The background of one stream of frames: :meth:`render` on each, in order (the mask
    of the last frame steadies the next). Person segmentation is opened on first use from
    the verified model files."""

    def __init__(self, files: ModelFiles) -> None:
        self.files = files
        self._segmenter: person.PersonSegmenter | None = None
        self._prob: npt.NDArray[np.float32] | None = None  # last frame's mask (model size)
        self._cover: tuple[Image, tuple[int, int], Image] | None = None  # the fitted picture

    def unavailable_reason(self) -> str | None:
        """Why person segmentation cannot run here (a model file missing or corrupt, and the
        command that fetches it), or None."""
        return self.files.problem(person.FILES)

    def ready(self) -> person.PersonSegmenter:
        """Person segmentation, opened (BackgroundError 503 naming ``mode`` if it cannot)."""
        if self._segmenter is None:
            reason = self.unavailable_reason()
            if reason:
                raise BackgroundError(503, f"mode: background is unavailable: {reason}", "mode")
            try:
                self._segmenter = person.PersonSegmenter(self.files)
            except (ModelLoadError, FileNotFoundError) as exc:
                raise BackgroundError(503, f"mode: {exc}", "mode") from None
        return self._segmenter

    def reset(self) -> None:
        """Forget the last frame's mask (a new setting, a new file)."""
        self._prob = None

    def person_alpha(self, image: Image) -> npt.NDArray[np.float32]:
        """The person's alpha (0..1) at the frame's size, steadied across frames."""
        seg = self.ready()
        h, w = image.shape[:2]
        model = seg.model_for(w, h)
        prob = seg.mask(image, model.input_size)
        last = self._prob
        if last is not None and last.shape == prob.shape:
            prob = prob * EMA + last * (1.0 - EMA)
        self._prob = prob
        small = compose.alpha_from(prob)
        return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)

    def render(self, image: Image, snap: Snapshot, keep: list[Polygon]) -> Image:
        """``image`` with its background painted as ``snap`` says; ``keep``: face outlines
        (frame pixels) left whole. ``off``: the frame itself."""
        s = snap.settings
        if s.mode == "off":
            return image
        alpha = compose.keep_regions(self.person_alpha(image), keep)
        h, w = image.shape[:2]
        if s.mode == "blur":
            backdrop = compose.blurred(image, alpha, s.blur)
        elif s.mode == "color":
            backdrop = np.empty_like(image)
            backdrop[:] = compose.colour_bgr(s.color)
        else:
            if snap.picture is None:
                raise BackgroundError(400, "image: image mode needs a picture", "image")
            backdrop = self._fitted(snap.picture, (w, h))
        return compose.composite(image, backdrop, alpha)

    def _fitted(self, picture: Image, size: tuple[int, int]) -> Image:
        """Image mode's picture at the frame's size, made once per picture and size (the
        cache holds the picture itself, so another one is never taken for it)."""
        cached = self._cover
        if cached is not None and cached[0] is picture and cached[1] == size:
            return cached[2]
        fitted = compose.cover(picture, size)
        self._cover = (picture, size, fitted)
        return fitted

    def close(self) -> None:
        self._segmenter = None
        self._cover = None


def read_picture(path: Path, *, max_bytes: int, max_side: int, limit: PixelLimit) -> Image:
    """A background picture from a file, within the size limits: TooManyPixels (naming
    ``image``) for one whose header declares more than ``limit``, before anything is decoded;
    BadImage saying why it cannot be read or decoded."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadImage(f"{path.name} cannot be read ({exc.strerror})") from None
    with contextlib.suppress(SizeUnreadable):  # (decoding it says what is wrong)
        check_picture(data, limit, name=path.name, field="image")
    return decode_image(data, max_bytes=max_bytes, max_side=max_side)
