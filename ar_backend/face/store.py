"""What of the face swap survives a restart: a versioned JSON document and image files in
``face.state_dir`` (default ``data/face``, beside the monitor's database).

The document, ``state.json``::

    {"version": 1, "saved_at": 1700000000.0,
     "sections": {"live": {...}, "source": {...}, ...},
     "images": {"source": "source-3f2a9c1b0d4e.img", ...}}

- a **section** is one feature's small JSON dict, written and read whole: ``live`` (on/off,
  engine, options, guard) and ``source`` (the loaded face's name and ``face_index``) are the
  live swap's (:class:`FaceSwap` writes them on every change; :func:`restore` reads them);
- an **image slot** is one named blob (the bytes as uploaded, so nothing is re-encoded):
  ``source`` is the loaded face. A slot's file name carries a hash of its bytes, so a new
  image never overwrites the one the current document names.

Every write is atomic: image files first (each a temp file renamed into place), then the
document (temp file, fsync, rename), then files no slot names any more are removed. A crash
at any point leaves the previous document or the new one, each with its images.

**Adding a feature's state** (a reference photo, a face map, a face set): pick a section name
and slot names of your own (e.g. section ``reference``, slot ``reference``; section ``map``
with slots ``map.0.reference``, ``map.0.source``, ...), then

- write: ``store.write("reference", {"face_index": 1}, images={"reference": data})`` when it
  changes, ``store.write("reference", None, images={"reference": None})`` when it is cleared
  (``None`` removes the section or slot; slots not named keep their images);
- read at start: add a step to :func:`restore` (or a function it calls) that reads
  ``store.section("reference")`` and ``store.image("reference")`` and applies them, catching
  its own errors (a stale section must not stop the rest of the restore).

Bump :data:`VERSION` only for a change old code would misread; a document of another
version is ignored (logged), so nothing half-understood is applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ar_backend.face.people import state as people_state

if TYPE_CHECKING:
    from ar_backend.face.live.session import FaceSwap

log = logging.getLogger(__name__)

VERSION = 1
STATE_FILE = "state.json"
SLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateStore:
    """The state folder: sections and image slots, read and written whole, thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._doc: dict[str, Any] | None = None  # the document as last read or written

    @property
    def path(self) -> Path:
        return self.folder / STATE_FILE

    def _empty(self) -> dict[str, Any]:
        return {"version": VERSION, "saved_at": None, "sections": {}, "images": {}}

    def _read(self) -> dict[str, Any]:
        if self._doc is not None:
            return self._doc
        doc = self._empty()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = None
        except (OSError, ValueError) as exc:
            log.warning("face state %s is unreadable (%s); starting without it", self.path, exc)
            raw = None
        if isinstance(raw, dict):
            if raw.get("version") != VERSION:
                log.warning(
                    "face state %s is version %r, this backend reads %d; ignored",
                    self.path,
                    raw.get("version"),
                    VERSION,
                )
            elif isinstance(raw.get("sections"), dict) and isinstance(raw.get("images"), dict):
                doc = raw
        self._doc = doc
        return doc

    def section(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._read()["sections"].get(name)
            return dict(value) if isinstance(value, dict) else None

    def image(self, slot: str) -> bytes | None:
        with self._lock:
            name = self._read()["images"].get(slot)
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            return None
        try:
            return (self.folder / name).read_bytes()
        except OSError as exc:
            log.warning("face state image %s is unreadable: %s", name, exc)
            return None

    def write(
        self,
        section: str,
        value: dict[str, Any] | None,
        images: dict[str, bytes | None] | None = None,
    ) -> None:
        """Replace ``section`` (``None``: remove it) and the named image slots (``None``:
        remove the slot), atomically; other sections and slots stay as they are."""
        for slot in images or {}:
            if not SLOT_NAME.match(slot):
                raise ValueError(f"bad image slot name {slot!r}")
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            doc = json.loads(json.dumps(self._read()))  # a deep copy to change
            for slot, data in (images or {}).items():
                if data is None:
                    doc["images"].pop(slot, None)
                    continue
                name = f"{slot}-{hashlib.sha256(data).hexdigest()[:12]}.img"
                if not (self.folder / name).is_file():
                    _atomic_write(self.folder / name, data)
                doc["images"][slot] = name
            if value is None:
                doc["sections"].pop(section, None)
            else:
                doc["sections"][section] = value
            doc["saved_at"] = time.time()
            _atomic_write(self.path, json.dumps(doc, indent=1, sort_keys=True).encode())
            self._doc = doc
            self._collect(doc)

    def _collect(self, doc: dict[str, Any]) -> None:
        named = set(doc["images"].values())
        for path in self.folder.glob("*.img"):
            if path.name not in named:
                path.unlink(missing_ok=True)


def open_store(state_dir: str | None) -> StateStore | None:
    if not state_dir:
        return None
    from ar_backend.config import resolve_dir

    return StateStore(resolve_dir(state_dir))


def begin_restore(face: FaceSwap, store: StateStore) -> bool:
    """At once, before any frame: the saved guard mode, and ``face.restoring`` when the saved
    state switches the swap on (frames are guarded until :func:`restore` is done). True when
    there is a saved state to restore."""
    live = store.section("live") or {}
    if live.get("guard") in ("off", "hold", "blur"):
        face.guard.mode = live["guard"]
    face.restoring = bool(live.get("enabled"))
    return bool(live) or store.section("source") is not None


def restore(face: FaceSwap, store: StateStore) -> bool:
    """Apply the saved state to ``face``: guard, engine and options, the source face, then on
    or off. Each step that fails is logged and skipped; the rest still applies. Saving is
    paused meanwhile (what is restored is what is saved). True when anything was saved."""
    live = store.section("live")
    source = store.section("source")
    if live is None and source is None and not people_state.saved(store):
        face.restoring = False
        return False
    face.saving = False
    try:
        if live is not None:
            _apply_live(face, live)
        if source is not None:
            data = store.image("source")
            if data is None:
                log.warning("face state: the source image is missing; no face restored")
            else:
                try:
                    face.load_image(data, source.get("face_index"), str(source.get("name")))
                except Exception as exc:
                    log.warning("face state: the saved face did not load again: %s", exc)
        people_state.restore(face, store)  # a face set, the reference person, the face map
        if live is not None and live.get("enabled") and face.has_source:
            face.start()
    finally:
        face.saving = True
        face.restoring = False
    log.info(
        "face state restored from %s: %s, swap %s",
        store.folder,
        face.source_status().get("name") or "no face",
        "on" if face.enabled else "off",
    )
    return True


def _apply_live(face: FaceSwap, live: dict[str, Any]) -> None:
    guard = live.get("guard")
    if guard in ("off", "hold", "blur"):
        face.guard.mode = guard
    options = live.get("options") if isinstance(live.get("options"), dict) else {}
    engine = live.get("engine") if isinstance(live.get("engine"), str) else None
    # a saved enhancer whose model has gone since is said in status, and the rest applies
    try:
        face.update(engine, dict(options or {}), load_enhancer=False)
    except Exception as exc:  # an engine gone, an option renamed: keep what applies
        log.warning("face state: saved engine/options not applied (%s); trying options only", exc)
        try:
            face.update(None, dict(options or {}), load_enhancer=False)
        except Exception as exc2:
            log.warning("face state: saved options not applied: %s", exc2)
