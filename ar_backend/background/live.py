"""``Background``: what is behind the person, live and in file jobs.

The API thread changes the settings (:meth:`Background.update`: everything checked first, a
refused change changes nothing); the process thread reads one snapshot per frame
(:meth:`Background.apply`). The person is cut out by person segmentation
(ar_backend/face/detect/person.py); the faces the swap tracks are kept whole whatever the
mask says, so the face's own pixels are never replaced or blurred.

The live settings are kept in the face state folder's document (section ``background``) and
restored at start, as the face settings are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from ar_backend.background import compose
from ar_backend.config import BackgroundConfig
from ar_backend.face.detect import person
from ar_backend.face.detect.base import ModelFiles
from ar_backend.face.enhancers.live import CostMeter
from ar_backend.face.errors import BadImage
from ar_backend.face.imaging.images import decode_image
from ar_backend.face.runtime.litert import ModelLoadError
from ar_backend.face.store import StateStore
from shared.logs import FaultLatch

log = logging.getLogger(__name__)

SECTION = "background"  # its section in the face state document (face/store.py)
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
    """What the process thread reads, replaced whole: the settings and the picture."""

    settings: BackgroundConfig
    picture: Image | None = None  # image mode's picture, decoded


class Background:
    """The background the studio owns. ``resolve_image`` turns a name from a request into a
    file inside the media folders (raising the studio's 403 for one outside them);
    ``read_image`` decodes it within the configured limits (BadImage saying why not)."""

    def __init__(
        self,
        cfg: BackgroundConfig,
        files: ModelFiles,
        resolve_image: Callable[[str], Path],
        read_image: Callable[[Path], Image],
    ) -> None:
        self.files = files
        self.resolve_image = resolve_image
        self.read_image = read_image
        self._snap = Snapshot(cfg)
        self._lock = threading.Lock()  # one change at a time; frames never take it
        self._segmenter: person.PersonSegmenter | None = None
        self._prob: npt.NDArray[np.float32] | None = None  # last frame's mask (model size)
        self.cost = CostMeter()
        self.fault = FaultLatch(log, "background")
        self.frames = 0
        self.store: StateStore | None = None
        self.restore_error: str | None = None  # a kept setting that could not be restored
        self._cover: tuple[int, tuple[int, int], Image] | None = None  # the fitted picture
        if cfg.mode != "off":  # the configured choice: said in status if it cannot run
            try:
                self._snap = self._prepared(cfg)
            except BackgroundError as exc:
                self.restore_error = f"background.{exc.field}: {exc}"
                log.warning("background %s not applied: %s", cfg.mode, exc)
                self._snap = Snapshot(cfg.model_copy(update={"mode": "off"}))

    # ---- settings --------------------------------------------------------------------------

    @property
    def settings(self) -> BackgroundConfig:
        return self._snap.settings

    def unavailable_reason(self) -> str | None:
        """Why person segmentation cannot run here (a model file missing or corrupt, and the
        command that fetches it), or None."""
        return self.files.problem(person.FILES)

    def _segmenter_ready(self) -> person.PersonSegmenter:
        if self._segmenter is None:
            reason = self.unavailable_reason()
            if reason:
                raise BackgroundError(503, f"mode: background is unavailable: {reason}", "mode")
            try:
                self._segmenter = person.PersonSegmenter(self.files)
            except (ModelLoadError, FileNotFoundError) as exc:
                raise BackgroundError(503, f"mode: {exc}", "mode") from None
        return self._segmenter

    def _prepared(self, wanted: BackgroundConfig) -> Snapshot:
        """The snapshot for ``wanted``: its picture read, the segmenter opened when a mode
        needs it. BackgroundError naming the field when it cannot be."""
        picture = None
        if wanted.mode == "image" and not wanted.image:
            raise BackgroundError(400, "image: image mode needs a picture (a media file)", "image")
        if wanted.image:
            path = self.resolve_image(wanted.image)
            if not path.is_file():
                message = f"image: no file {wanted.image!r} in the media folders"
                raise BackgroundError(404, message, "image")
            if wanted.mode == "image" or wanted.image != self.settings.image:
                try:
                    picture = self.read_image(path)
                except BadImage as exc:
                    raise BackgroundError(400, f"image: {exc}", "image") from None
            else:
                picture = self._snap.picture
        if wanted.mode != "off":
            self._segmenter_ready()
        return Snapshot(wanted, picture)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` (any of mode, blur, color, image) at once, or none of them."""
        with self._lock:
            merged = {**self.settings.model_dump(), **changes}
            try:
                wanted = BackgroundConfig.model_validate(merged)
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "background"
                raise BackgroundError(400, f"{field}: {err['msg']}", field) from None
            self._snap = self._prepared(wanted)
            self._prob = None
            self.restore_error = None
            self.fault.clear()
        self._save()
        log.info("background: %s", self._describe())
        return self.status()

    def _describe(self) -> str:
        s = self.settings
        detail = {"blur": f" {s.blur:g}", "color": f" {s.color}", "image": f" {s.image}"}
        return s.mode + detail.get(s.mode, "")

    # ---- what survives a restart -----------------------------------------------------------

    def _save(self) -> None:
        if self.store is None:
            return
        try:
            self.store.write(SECTION, self.settings.model_dump(mode="json"), None)
        except (OSError, ValueError) as exc:
            log.warning("background setting not saved in %s: %s", self.store.folder, exc)

    def restore(self, store: StateStore | None) -> None:
        """Take the kept setting from ``store`` (then keep later changes there). A kept
        setting that no longer applies (its picture gone) leaves the background off and says
        why in status."""
        self.store = store
        kept = store.section(SECTION) if store is not None else None
        if not kept:
            return
        try:
            wanted = BackgroundConfig.model_validate(kept)
            with self._lock:
                self._snap = self._prepared(wanted)
        except (ValidationError, BackgroundError) as exc:
            self.restore_error = f"the kept background ({kept.get('mode')}) was not restored: {exc}"
            log.warning("%s", self.restore_error)
            return
        log.info("background restored: %s", self._describe())

    # ---- frames ----------------------------------------------------------------------------

    def apply(self, image: Image, keep: list[Polygon] | None = None) -> Image:
        """The frame with its background replaced as set; ``keep``: face outlines (frame
        pixels) left whole. Off: the frame itself. A failure is logged once and the frame
        passes unchanged (status says why until it works again)."""
        snap = self._snap
        mode = snap.settings.mode
        if mode == "off":
            return image
        t0 = time.perf_counter()
        try:
            out = self._render(image, snap, keep or [])
        except Exception as exc:  # a bad frame must not stop the stream
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.debug("background failed", exc_info=True)
            return image
        self.fault.clear()
        self.frames += 1
        self.cost.add(mode, (time.perf_counter() - t0) * 1000)
        return out

    def person_alpha(self, image: Image) -> npt.NDArray[np.float32]:
        """The person's alpha (0..1) at the frame's size, steadied across frames."""
        seg = self._segmenter_ready()
        h, w = image.shape[:2]
        model = seg.model_for(w, h)
        prob = seg.mask(image, model.input_size)
        last = self._prob
        if last is not None and last.shape == prob.shape:
            prob = prob * EMA + last * (1.0 - EMA)
        self._prob = prob
        small = compose.alpha_from(prob)
        return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)

    def _render(self, image: Image, snap: Snapshot, keep: list[Polygon]) -> Image:
        s = snap.settings
        alpha = compose.keep_regions(self.person_alpha(image), keep)
        h, w = image.shape[:2]
        if s.mode == "blur":
            backdrop = compose.blurred(image, alpha, s.blur)
        elif s.mode == "color":
            backdrop = np.empty_like(image)
            backdrop[:] = compose.colour_bgr(s.color)
        else:
            assert snap.picture is not None  # (image mode is never published without one)
            backdrop = self._picture(snap, (w, h))
        return compose.composite(image, backdrop, alpha)

    def _picture(self, snap: Snapshot, size: tuple[int, int]) -> Image:
        """Image mode's picture at the frame's size, made once per picture and size."""
        assert snap.picture is not None
        cached = self._cover
        if cached is not None and cached[0] == id(snap.picture) and cached[1] == size:
            return cached[2]
        fitted = compose.cover(snap.picture, size)
        self._cover = (id(snap.picture), size, fitted)
        return fitted

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        s = self.settings
        ms = self.cost.mean(s.mode) if s.mode != "off" else None
        return {
            **s.model_dump(mode="json"),
            "available": self.unavailable_reason() is None,
            "reason": self.unavailable_reason(),
            "ms": None if ms is None else round(ms, 2),
            "frames": self.frames,
            "error": self.fault.active or self.restore_error,
        }

    def close(self) -> None:
        self._segmenter = None


def read_picture(path: Path, *, max_bytes: int, max_side: int) -> Image:
    """A background picture from a media file, within the size limits (BadImage why not)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadImage(f"{path.name} cannot be read ({exc.strerror})") from None
    return decode_image(data, max_bytes=max_bytes, max_side=max_side)
