"""``Background``: what is behind the person on the live path.

The API thread changes the settings (:meth:`Background.update`: everything checked first, a
refused change changes nothing); the process thread reads one snapshot per frame
(:meth:`Background.apply`) and paints it with render.py's :class:`Renderer` (person
segmentation, the faces the swap tracks kept whole: the face's own pixels are never replaced
or blurred). A file job's background is checked here (:meth:`Background.checked`, over the
live settings) and painted in the job's process by a Renderer of its own.

The live settings are kept in the face state folder's document (section ``background``) and
restored at start, as the face settings are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ar_backend.background.render import (
    BackgroundError,
    Image,
    Polygon,
    Renderer,
    Snapshot,
)
from ar_backend.config import BackgroundConfig
from ar_backend.face.detect.base import ModelFiles
from ar_backend.face.enhancers.live import CostMeter
from ar_backend.face.errors import BadImage
from ar_backend.face.imaging.pixel_limit import TooManyPixels
from ar_backend.face.store import StateStore
from shared.logs import FaultLatch
from shared.wire.backend import BackgroundStatus

log = logging.getLogger(__name__)

SECTION = "background"  # its section in the face state document (face/store.py)


class Background:
    """The background the studio owns. ``resolve_image`` turns a name from a request into a
    file inside the media folders (raising the studio's 403 for one outside them);
    ``read_image`` decodes it within the configured limits (BadImage saying why not,
    TooManyPixels over media.max_megapixels)."""

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
        self.renderer = Renderer(files)  # the live path's frames
        self.cost = CostMeter()
        self.fault = FaultLatch(log, "background")
        self.frames = 0
        self.store: StateStore | None = None
        self.restore_error: str | None = None  # a kept setting that could not be restored
        if cfg.mode != "off":  # the configured choice: said in status if it cannot run
            try:
                self._snap, _path = self._prepared(cfg)
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
        return self.renderer.unavailable_reason()

    def _prepared(self, wanted: BackgroundConfig) -> tuple[Snapshot, Path | None]:
        """The snapshot for ``wanted`` and its picture's file: the picture read, person
        segmentation opened when a mode needs it. BackgroundError naming the field when it
        cannot be."""
        picture, path = None, None
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
                except TooManyPixels as exc:  # (media.max_megapixels)
                    raise BackgroundError(413, f"image: {exc}", "image") from None
            else:
                picture = self._snap.picture
        if wanted.mode != "off":
            self.renderer.ready()
        return Snapshot(wanted, picture), path

    def _merged(self, changes: dict[str, Any]) -> BackgroundConfig:
        """The settings in force with ``changes`` (400 naming the field of a bad value)."""
        merged = {**self.settings.model_dump(), **changes}
        try:
            return BackgroundConfig.model_validate(merged)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "background"
            raise BackgroundError(400, f"{field}: {err['msg']}", field) from None

    def checked(self, changes: dict[str, Any]) -> tuple[BackgroundConfig, Path | None]:
        """The settings in force with ``changes``, checked as :meth:`update` checks them
        (BackgroundError naming the field), and image mode's picture file; nothing changes
        here (a file job's background)."""
        with self._lock:
            wanted = self._merged(changes)
            _snap, path = self._prepared(wanted)
        return wanted, path if wanted.mode == "image" else None

    def update(self, changes: dict[str, Any]) -> BackgroundStatus:
        """Apply ``changes`` (any of mode, blur, color, image) at once, or none of them."""
        with self._lock:
            wanted = self._merged(changes)
            self._snap, _path = self._prepared(wanted)
            self.renderer.reset()
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
                self._snap, _path = self._prepared(wanted)
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
            out = self.renderer.render(image, snap, keep or [])
        except Exception as exc:  # a bad frame must not stop the stream
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.debug("background failed", exc_info=True)
            return image
        self.fault.clear()
        self.frames += 1
        self.cost.add(mode, (time.perf_counter() - t0) * 1000)
        return out

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> BackgroundStatus:
        s = self.settings
        ms = self.cost.mean(s.mode) if s.mode != "off" else None
        reason = self.unavailable_reason()
        return BackgroundStatus(
            **s.model_dump(mode="json"),
            available=reason is None,
            reason=reason,
            ms=None if ms is None else round(ms, 2),
            frames=self.frames,
            error=self.fault.active or self.restore_error,
        )

    def close(self) -> None:
        self.renderer.close()
