"""What of the face swap survives a restart: a versioned JSON document and image files in
``face.state_dir`` (default ``data/face``, beside the monitor's database).

The live session (face/live/session.py) says what changed with an event
(face/live/events.py); :meth:`StateStore.save` listens and writes it, and
:meth:`StateStore.saved` reads the last of each kind back for the owner to apply at start
(face/live/restore.py). The store never calls the live session.

The document, ``state.json``::

    {"version": 1, "saved_at": 1700000000.0,
     "sections": {"live": {...}, "source": {...}, ...},
     "images": {"source": "source-3f2a9c1b0d4e.img", ...}}

- a **section** is one feature's small JSON dict, written and read whole;
- an **image slot** is one named blob (the bytes as uploaded, so nothing is re-encoded; a
  reference picked in the camera frame is kept as PNG). A slot's file name carries a hash of
  its bytes, so a new image never overwrites the one the current document names.

The sections and slots, one per event:

- ``live`` {enabled, engine, options, guard} (:class:`SettingsChanged`);
- ``source`` {name, face_index}, slot ``source`` (:class:`SourceChanged`); a face set adds
  ``set`` [{name, face_index}] and the photos after the first in slots ``source.<i>``;
- ``reference`` {name, face_index}, slot ``reference`` (:class:`ReferenceChanged`);
- ``map`` {pairs: [{reference: {name, face_index}, source: {name, face_index}}]}, slots
  ``map.<i>.reference`` and ``map.<i>.source`` (:class:`MapChanged`).

Every write is atomic: image files first (each a temp file renamed into place), then the
document (temp file, fsync, rename), then files no slot names any more are removed. A crash
at any point leaves the previous document or the new one, each with its images.

**Adding a feature's state**: an event in face/live/events.py that the live session emits,
a section and slots of its own here (written in :meth:`StateStore.save` with
``self.write(section, value, images)``; ``None`` removes a section or slot, slots not named
keep their images), read back in :meth:`StateStore.saved` (a stale section is logged and
skipped, never stops the rest) and applied in face/live/restore.py.

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
from typing import Any

from ar_backend.face.live.events import (
    FaceEvent,
    MapChanged,
    ReferenceChanged,
    SavedFace,
    SettingsChanged,
    SourceChanged,
    Upload,
)

log = logging.getLogger(__name__)

VERSION = 1
STATE_FILE = "state.json"
SLOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
GUARD_MODES = ("off", "hold", "blur")
MAX_SET_SLOTS = 16  # face.max_set's upper bound
MAX_MAP_SLOTS = 8  # face/people/reference.py MAX_MAP


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

    # ---- the live session's events ---------------------------------------------------------

    def save(self, event: FaceEvent) -> None:
        """Write what ``event`` says changed (a listener of the live session); a failed write
        is logged, the change itself stands."""
        try:
            self.write(*_section(event))
        except (OSError, ValueError) as exc:
            log.warning("face state not saved in %s: %s", self.folder, exc)

    def saved(self) -> SavedFace:
        """The last of each kind kept; what cannot be read back is logged and left out."""
        return SavedFace(
            settings=self._settings(),
            source=self._source(),
            reference=self._reference(),
            map=self._map(),
        )

    def _settings(self) -> SettingsChanged | None:
        live = self.section("live")
        if live is None:
            return None
        options = live.get("options")
        engine = live.get("engine")
        guard = live.get("guard")
        return SettingsChanged(
            enabled=bool(live.get("enabled")),
            engine=engine if isinstance(engine, str) else "",
            options=dict(options) if isinstance(options, dict) else {},
            guard=guard if guard in GUARD_MODES else "",
        )

    def _source(self) -> SourceChanged | None:
        source = self.section("source")
        if source is None:
            return None
        first = self.image("source")
        if first is None:
            log.warning("face state: the source image is missing; no face restored")
            return None
        photos: list[Upload] = [(first, source.get("face_index"), str(source.get("name")))]
        listed = source.get("set")
        if isinstance(listed, list) and len(listed) > 1:
            try:
                photos = []
                for i, entry in enumerate(listed):
                    data = first if i == 0 else self.image(f"source.{i}")
                    if data is None:
                        raise ValueError(f"photo {i} of the face set is missing")
                    photos.append((data, entry.get("face_index"), str(entry.get("name"))))
            except Exception as exc:  # the first photo alone, as loaded before the set
                log.warning("face state: the face set did not load again: %s", exc)
                photos = [(first, source.get("face_index"), str(source.get("name")))]
        return SourceChanged(tuple(photos))

    def _reference(self) -> ReferenceChanged | None:
        reference = self.section("reference")
        if reference is None:
            return None
        data = self.image("reference")
        if data is None:
            log.warning("face state: the reference person was not restored: its image is missing")
            return None
        return ReferenceChanged((data, reference.get("face_index"), str(reference.get("name"))))

    def _map(self) -> MapChanged | None:
        saved_map = self.section("map")
        if saved_map is None:
            return None
        try:
            pairs: list[tuple[Upload, Upload]] = []
            for i, pair in enumerate(saved_map.get("pairs") or []):
                ref_data = self.image(f"map.{i}.reference")
                src_data = self.image(f"map.{i}.source")
                if ref_data is None or src_data is None:
                    raise ValueError(f"pair {i}'s images are missing")
                ref, src = pair["reference"], pair["source"]
                pairs.append(
                    (
                        (ref_data, ref.get("face_index"), str(ref.get("name"))),
                        (src_data, src.get("face_index"), str(src.get("name"))),
                    )
                )
        except Exception as exc:
            log.warning("face state: the face map was not restored: %s", exc)
            return None
        return MapChanged(tuple(pairs))


Section = tuple[str, dict[str, Any] | None, dict[str, bytes | None]]


def _section(event: FaceEvent) -> Section:
    """(section, value, images) for :meth:`StateStore.write`."""
    if isinstance(event, SettingsChanged):
        value = {
            "enabled": event.enabled,
            "engine": event.engine,
            "options": event.options,
            "guard": event.guard,
        }
        return "live", value, {}
    if isinstance(event, SourceChanged):
        return _source_section(event.photos)
    if isinstance(event, ReferenceChanged):
        if event.photo is None:
            return "reference", None, {"reference": None}
        data, index, name = event.photo
        return "reference", {"name": name, "face_index": index}, {"reference": data}
    return _map_section(event.pairs)


def _source_section(photos: tuple[Upload, ...]) -> Section:
    """One photo: its section and slot (other slots as they are); a set: every slot."""
    if len(photos) == 1:
        data, index, name = photos[0]
        return "source", {"name": name, "face_index": index}, {"source": data}
    images: dict[str, bytes | None] = {"source": photos[0][0] if photos else None}
    for i in range(1, MAX_SET_SLOTS):
        images[f"source.{i}"] = photos[i][0] if i < len(photos) else None
    if not photos:
        return "source", None, images
    first = photos[0]
    section = {
        "name": first[2],
        "face_index": first[1],
        "set": [{"name": name, "face_index": index} for _, index, name in photos],
    }
    return "source", section, images


def _map_section(pairs: tuple[tuple[Upload, Upload], ...]) -> Section:
    images: dict[str, bytes | None] = {
        f"map.{i}.{kind}": None for i in range(MAX_MAP_SLOTS) for kind in ("reference", "source")
    }
    if not pairs:
        return "map", None, images
    listed = []
    for i, (ref, src) in enumerate(pairs):
        images[f"map.{i}.reference"], images[f"map.{i}.source"] = ref[0], src[0]
        listed.append(
            {
                "reference": {"name": ref[2], "face_index": ref[1]},
                "source": {"name": src[2], "face_index": src[1]},
            }
        )
    return "map", {"pairs": listed}, images


def open_store(state_dir: str | None) -> StateStore | None:
    if not state_dir:
        return None
    from ar_backend.config import resolve_dir

    return StateStore(resolve_dir(state_dir))
