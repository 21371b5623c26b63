"""Who is swapped on the live session: the reference person and the face map
(face/people/reference.py), set and cleared by the API (``POST /face/reference``,
``POST /face/map``) and published into the live snapshot. The session publishes it as
``FaceSwap.people``."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from ar_backend.config import FaceConfig
from ar_backend.face.engines.base import Engine
from ar_backend.face.errors import FaceError
from ar_backend.face.imaging.images import decode_upload, png
from ar_backend.face.live.engines import EngineCache
from ar_backend.face.live.events import Listener, MapChanged, ReferenceChanged, Upload
from ar_backend.face.live.snapshot import Snapshot
from ar_backend.face.people.reference import (
    MAX_MAP,
    MapEntry,
    Matcher,
    People,
    Photo,
    again,
    identify,
)
from ar_backend.face.people.source import prepare_picture
from shared.wire.backend import FacePeopleOut

log = logging.getLogger(__name__)

FRAME_NAME = "the camera frame"


class LivePeople:
    def __init__(
        self,
        cfg: FaceConfig,
        snapshot: Snapshot,
        engines: EngineCache,
        matcher: Matcher,
        emit: Listener,
    ) -> None:
        self.cfg = cfg
        self._snapshot = snapshot
        self._engines = engines
        self._matcher = matcher
        self._emit = emit

    def set_reference(self, data: bytes, face_index: int | None, name: str) -> FacePeopleOut:
        """Only faces matching the person in this photo get the loaded source."""
        image = decode_upload(data, self.cfg)
        snap = self._snapshot
        with snap.work:
            identity = identify(self._engines.current(), image, face_index, name)
            with snap.lock:
                snap.publish(people=replace(snap.now.people, reference=identity))
        self._emit(ReferenceChanged((data, face_index, name)))
        log.info("reference person set from %s", name)
        return self.status(thumbnail=True)

    def reference_from_frame(self, frame_face_index: int) -> FacePeopleOut:
        """The reference is face ``frame_face_index`` (leftmost first) of the camera's frame."""
        image = self._matcher.grab()
        snap = self._snapshot
        with snap.work:
            engine = self._engines.current()
            try:
                identity = identify(engine, image, frame_face_index, FRAME_NAME)
            except FaceError as exc:
                exc.field = "frame_face_index"
                raise
            with snap.lock:
                snap.publish(people=replace(snap.now.people, reference=identity))
        self._emit(ReferenceChanged((png(image), frame_face_index, FRAME_NAME)))
        log.info("reference person picked in the camera frame (face %d)", frame_face_index)
        return self.status(thumbnail=True)

    def clear_reference(self) -> FacePeopleOut:
        snap = self._snapshot
        with snap.lock:
            snap.publish(people=replace(snap.now.people, reference=None))
        self._emit(ReferenceChanged(None))
        return self.status()

    def set_map(self, pairs: list[tuple[Upload, Upload]]) -> FacePeopleOut:
        """The face map, whole: ``pairs`` of ((reference bytes, face_index, name), (source
        bytes, face_index, name)); each tracked face gets the source of the nearest reference."""
        if not 1 <= len(pairs) <= MAX_MAP:
            raise FaceError(f"a face map has 1 to {MAX_MAP} pairs, got {len(pairs)}", "reference_0")
        decoded = [
            (i, decode_upload(ref[0], self.cfg), ref, decode_upload(src[0], self.cfg), src)
            for i, (ref, src) in enumerate(pairs)
        ]
        snap = self._snapshot
        with snap.work:
            engine = self._engines.current()
            entries = []
            for i, ref_image, ref, src_image, src in decoded:
                identity = identify(engine, ref_image, ref[1], ref[2], field_name=f"reference_{i}")
                try:
                    source, info = prepare_picture(engine, src_image, src[1], src[2])
                except FaceError as exc:
                    exc.field = f"source_{i}" + ("_face_index" if "face_index" in str(exc) else "")
                    raise
                photo = Photo(src_image, src[2], info["face_index"], np.asarray(source.box))
                entries.append(MapEntry(identity, source, photo))
            with snap.lock:  # the engine too: a map needs no loaded face
                people = replace(snap.now.people, entries=tuple(entries))
                snap.publish(engine=engine, people=people, reset=engine is not snap.now.engine)
        self._emit(MapChanged(tuple(pairs)))
        log.info("face map set: %d people", len(entries))
        return self.status(thumbnail=True)

    def clear_map(self) -> FacePeopleOut:
        snap = self._snapshot
        with snap.lock:
            snap.publish(people=replace(snap.now.people, entries=()))
        self._emit(MapChanged(()))
        return self.status()

    def status(self, thumbnail: bool = False) -> FacePeopleOut:
        """``reference``, ``map`` and, per tracked face, whether it matched and its source."""
        people = self._snapshot.now.people.info(thumbnail)
        return FacePeopleOut(**people, faces=list(self._matcher.faces))

    def for_engine(self, engine: Engine) -> People:
        """The reference and the map described again by another engine (callers hold the
        snapshot's ``work`` lock)."""
        people = self._snapshot.now.people
        reference = again(engine, people.reference) if people.reference is not None else None
        entries = []
        for entry in people.entries:
            photo = entry.source_photo
            source, _ = prepare_picture(engine, photo.image, None, photo.name, same_as=photo.box)
            entries.append(MapEntry(again(engine, entry.reference), source, photo))
        return People(reference, tuple(entries))
