"""A saved face state applied to the live session at start (the store reads it back:
face/store.py ``StateStore.saved``), through the session's ordinary methods.

:func:`begin` at once, before any frame: the saved guard mode, and ``restoring`` when the
saved state switches the swap on (frames are guarded until :func:`apply` is done). Then
:func:`apply`, off the main thread (an engine takes seconds): engine and options, the
source face (or face set), the reference person, the face map, then on or off. Each step
that fails is logged and skipped; the rest still applies. The owner starts listening for
changes to keep only afterwards (what is restored is what was saved).
"""

from __future__ import annotations

import logging

from ar_backend.face.live.events import SavedFace, SettingsChanged
from ar_backend.face.live.guard import MODES
from ar_backend.face.live.session import FaceSwap

log = logging.getLogger(__name__)


def begin(face: FaceSwap, saved: SavedFace) -> None:
    settings = saved.settings
    if settings is not None and settings.guard in MODES:
        face.guard.mode = settings.guard
    face.restoring = settings is not None and settings.enabled


def apply(face: FaceSwap, saved: SavedFace, where: str) -> None:
    """``where``: the store's folder, for the log."""
    try:
        if saved.settings is not None:
            _settings(face, saved.settings)
        photos = saved.source.photos if saved.source is not None else ()
        if len(photos) > 1:
            try:
                face.load_images(list(photos))
            except Exception as exc:  # the first photo alone then
                log.warning("face state: the face set did not load again: %s", exc)
                photos = photos[:1]
        if len(photos) == 1:
            try:
                face.load_image(*photos[0])
            except Exception as exc:
                log.warning("face state: the saved face did not load again: %s", exc)
        if saved.reference is not None and saved.reference.photo is not None:
            try:
                face.people.set_reference(*saved.reference.photo)
            except Exception as exc:
                log.warning("face state: the reference person was not restored: %s", exc)
        if saved.map is not None and saved.map.pairs:
            try:
                face.people.set_map(list(saved.map.pairs))
            except Exception as exc:
                log.warning("face state: the face map was not restored: %s", exc)
        if saved.settings is not None and saved.settings.enabled and face.has_source:
            face.start()
    finally:
        face.restoring = False
    log.info(
        "face state restored from %s: %s, swap %s",
        where,
        face.source_status().name or "no face",
        "on" if face.enabled else "off",
    )


def _settings(face: FaceSwap, settings: SettingsChanged) -> None:
    if settings.guard in MODES:
        face.guard.mode = settings.guard
    engine = settings.engine or None
    # a saved enhancer whose model has gone since is said in status, and the rest applies
    try:
        face.update(engine, dict(settings.options), load_enhancer=False)
    except Exception as exc:  # an engine gone, an option renamed: keep what applies
        log.warning("face state: saved engine/options not applied (%s); trying options only", exc)
        try:
            face.update(None, dict(settings.options), load_enhancer=False)
        except Exception as exc2:
            log.warning("face state: saved options not applied: %s", exc2)
