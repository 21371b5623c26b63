"""Personas: a face (or face set), a voice chain and an overlay label saved under a name, so a
streamer switches who they are with one click (``POST /personas/<name>/apply``, F1-F4 in the
window).

Kept in ``<data>/personas/``: ``personas.json`` (written to a temporary file and renamed, so a
crash leaves the old list or the new one, never half of one) and one folder per persona with
its face pictures. Names are plain (letters, digits, space, ``_`` and ``-``, at most 40): no
path characters, so a name is also a safe folder name.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.messages import KeyedError, Message, msg
from shared.wire.backend import PersonaFace, PersonaOut

log = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-])?$")
MAX_PERSONAS = 32
SLOTS = (1, 2, 3, 4)  # F1-F4
LIST_FILE = "personas.json"


class PersonaError(KeyedError):
    """A persona request refused: ``status`` the HTTP status, ``field`` the input at fault;
    its text a catalogue message (``persona.*``)."""

    def __init__(self, status: int, message: Message, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def check_name(name: str, field: str = "name") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise PersonaError(400, msg("persona.bad_name", field=field), field)
    return name


@dataclass
class Persona:
    name: str
    label: str
    voice: list[dict[str, Any]]
    faces: list[tuple[str, int | None]] = field(default_factory=list)  # (file, face_index)
    slot: int | None = None
    created_at: float = field(default_factory=time.time)

    def describe(self) -> PersonaOut:
        return PersonaOut(
            name=self.name,
            label=self.label,
            voice=self.voice,
            face=PersonaFace(photos=len(self.faces), names=[f for f, _ in self.faces])
            if self.faces
            else None,
            slot=self.slot,
            created_at=self.created_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "voice": self.voice,
            "faces": [[f, i] for f, i in self.faces],
            "slot": self.slot,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Persona:
        return cls(
            name=check_name(str(data["name"])),
            label=str(data.get("label", "")),
            voice=list(data.get("voice", [])),
            faces=[(str(f), None if i is None else int(i)) for f, i in data.get("faces", [])],
            slot=data.get("slot"),
            created_at=float(data.get("created_at", 0.0)),
        )


class PersonaStore:
    """The personas on disk; every method is safe from any thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._personas: dict[str, Persona] = {}
        self.error: Message | None = None  # the saved list could not be read: why
        self._load()

    def _load(self) -> None:
        path = self.folder / LIST_FILE
        if not path.exists():
            return
        try:
            listed = json.loads(path.read_text("utf-8"))
            for item in listed.get("personas", []):
                persona = Persona.from_json(item)
                self._personas[persona.name.casefold()] = persona
        except (OSError, ValueError, KeyError, TypeError, PersonaError) as exc:
            self.error = msg("persona.unreadable", path=str(path), detail=str(exc))
            log.error("personas: %s", self.error)

    def listed(self) -> list[Persona]:
        with self._lock:
            return sorted(self._personas.values(), key=lambda p: (p.slot or 99, p.created_at))

    def get(self, name: str) -> Persona:
        check_name(name)
        with self._lock:
            persona = self._personas.get(name.casefold())
        if persona is None:
            raise PersonaError(404, msg("persona.not_found", name=name), "name")
        return persona

    def face_bytes(self, persona: Persona) -> list[tuple[bytes, int | None, str]]:
        """Each saved photo: (its bytes, which face in it, its name)."""
        out = []
        for file, index in persona.faces:
            out.append(((self.folder / persona.name / file).read_bytes(), index, file))
        return out

    def save(self, persona: Persona, photos: list[tuple[bytes, int | None, str]]) -> None:
        """Add or replace ``persona`` with its face ``photos`` ([]: none). A slot already
        held by another persona moves to this one."""
        if self.error is not None:
            raise PersonaError(503, msg("persona.read_only", reason=str(self.error)), None)
        with self._lock:
            key = persona.name.casefold()
            if key not in self._personas and len(self._personas) >= MAX_PERSONAS:
                raise PersonaError(400, msg("persona.too_many", limit=MAX_PERSONAS), "name")
            old = self._personas.get(key)
            folder = self.folder / persona.name
            staging = self.folder / f".{persona.name}.new"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            persona.faces = []
            for i, (data, index, name) in enumerate(photos):
                suffix = Path(name).suffix.lower() if Path(name).suffix else ".png"
                file = f"face-{i}{suffix if suffix in ('.png', '.jpg', '.jpeg') else '.png'}"
                (staging / file).write_bytes(data)
                persona.faces.append((file, index))
            updated = dict(self._personas)
            if old is not None:
                updated.pop(key)
            if persona.slot is not None:
                for other in updated.values():
                    if other.slot == persona.slot:
                        other.slot = None
            updated[key] = persona
            if old is not None and old.name != persona.name:
                shutil.rmtree(self.folder / old.name, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
            self._write(updated)
            self._personas = updated

    def delete(self, name: str) -> Persona:
        persona = self.get(name)
        with self._lock:
            updated = {k: p for k, p in self._personas.items() if p is not persona}
            self._write(updated)
            self._personas = updated
        shutil.rmtree(self.folder / persona.name, ignore_errors=True)
        return persona

    def _write(self, personas: dict[str, Persona]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"personas": [p.to_json() for p in personas.values()]}, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".personas-", suffix=".json", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / LIST_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
