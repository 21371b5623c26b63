"""Who gets swapped: a reference person, and a face map of several people.

- **Reference**: a photo of the person to replace (or a face picked in the current frame).
  Only tracked faces whose descriptor lies within ``face.reference_threshold[<engine>]`` of
  it get the loaded source face; everyone else stays as they are.
- **Face map**: pairs (reference photo, source photo): each tracked face gets the source of
  the nearest reference within the threshold, a face that matches none stays as it is.

The reference is the map's entry for the loaded source: both may be set, and a face takes
the nearest of them all. The descriptor is each engine's own (``Engine.describe``: dlib's
128-d face descriptor for classic, compared by Euclidean distance; the ArcFace embedding for
inswapper, by cosine distance), so switching engines describes the photos again.

On the live path a tracked face is identified when it first appears and again every
RECHECK_FRAMES frames (at most one re-check a frame), its answer kept with the track
(``TargetFace.extra["who"]``): a descriptor costs milliseconds, far too much for every face
on every frame. While a reference or map is set the tracker follows every face in view
(``many_faces``), whatever the option says: the person to swap need not be the largest face.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ar_backend.config import FaceOptions
from ar_backend.face.errors import FaceError, ManyFaces, NoFace, NoFrame
from ar_backend.face.faces import FaceFinder, SourceFace, TargetFace, picture_faces
from ar_backend.face.imaging.geometry import iou
from ar_backend.face.imaging.images import box_json, face_thumbnail

RECHECK_FRAMES = 30
MAX_MAP = 8  # pairs in a face map
DEFAULT_THRESHOLDS = {"classic": 0.6, "inswapper": 0.65, "hyperswap": 0.65}


class Describes(Protocol):
    def describe(self, image: np.ndarray, face: TargetFace) -> np.ndarray: ...

    def identity_distance(self, a: np.ndarray, b: np.ndarray) -> float: ...


@dataclass(frozen=True)
class Photo:
    """A picture and the face chosen in it (kept to describe it again for another engine)."""

    image: np.ndarray
    name: str
    face_index: int | None
    box: np.ndarray

    def info(self, thumbnail: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "face": box_json(self.box),
            "face_index": self.face_index,
        }
        if thumbnail:
            out["thumbnail"] = face_thumbnail(self.image, self.box)
        return out


@dataclass(frozen=True)
class Identity:
    photo: Photo
    engine: str
    descriptor: np.ndarray


@dataclass(frozen=True)
class MapEntry:
    reference: Identity
    source: SourceFace
    source_photo: Photo


@dataclass(frozen=True)
class People:
    """The reference and the face map; replaced whole, never changed in place."""

    reference: Identity | None = None
    entries: tuple[MapEntry, ...] = ()

    @property
    def active(self) -> bool:
        return self.reference is not None or bool(self.entries)

    def candidates(self, loaded: SourceFace | None) -> list[tuple[Identity, SourceFace, str]]:
        """(identity, the source it gets, the source's label) for each person to look for."""
        out = []
        if self.reference is not None and loaded is not None:
            out.append((self.reference, loaded, "loaded"))
        out.extend((e.reference, e.source, f"map:{i}") for i, e in enumerate(self.entries))
        return out

    def info(self, thumbnail: bool = False) -> dict[str, Any]:
        ref = self.reference
        return {
            "reference": (
                {"set": True, "engine": ref.engine, **ref.photo.info(thumbnail)}
                if ref is not None
                else {"set": False}
            ),
            "map": [
                {
                    "index": i,
                    "source": f"map:{i}",
                    "reference": e.reference.photo.info(thumbnail),
                    "source_face": e.source_photo.info(thumbnail),
                }
                for i, e in enumerate(self.entries)
            ],
        }


NOBODY = People()  # no reference, no map: every face tracked gets the loaded source


def _describer(engine: FaceFinder) -> Describes:
    if not hasattr(engine, "describe") or not hasattr(engine, "identity_distance"):
        raise FaceError(f"the {engine.name} engine cannot tell people apart", "engine")
    return engine  # type: ignore[return-value]


def pick_face(
    engine: FaceFinder,
    image: np.ndarray,
    face_index: int | None,
    name: str,
    same_as: np.ndarray | None = None,
    field_name: str = "image",
) -> TargetFace:
    """The face ``face_index`` (leftmost first) in ``image``, or the one at ``same_as``; the
    errors of ``POST /face/load`` (none found, several and no index, out of range)."""
    faces = sorted(picture_faces(engine, image), key=lambda f: float(f.box[0]))
    if not faces:
        raise NoFace(f"no face found in {name}", field_name)
    if same_as is not None:
        best = max(faces, key=lambda f: iou(f.box, same_as))
        if iou(best.box, same_as) < 0.3:
            raise NoFace(f"the {engine.name} engine does not find the chosen face in {name}")
        return best
    if face_index is None and len(faces) > 1:
        listed = [{"index": i, **box_json(f.box)} for i, f in enumerate(faces)]
        error = ManyFaces(
            f"{len(faces)} faces found in {name}; choose one with face_index (0 is the leftmost)",
            listed,
        )
        error.field = f"{field_name}_face_index" if field_name != "image" else "face_index"
        raise error
    index = face_index or 0
    if index >= len(faces):
        raise FaceError(
            f"face_index {index} is out of range: {len(faces)} face(s) found in {name}",
            "face_index" if field_name == "image" else f"{field_name}_face_index",
        )
    return faces[index]


def identify(
    engine: FaceFinder,
    image: np.ndarray,
    face_index: int | None,
    name: str,
    same_as: np.ndarray | None = None,
    field_name: str = "image",
) -> Identity:
    """The face's descriptor under ``engine``."""
    describer = _describer(engine)
    face = pick_face(engine, image, face_index, name, same_as, field_name)
    photo = Photo(image, name, face_index, np.asarray(face.box, np.float64))
    return Identity(photo, engine.name, describer.describe(image, face))


def again(engine: FaceFinder, identity: Identity) -> Identity:
    """The same face described by another engine."""
    photo = identity.photo
    if identity.engine == engine.name:
        return identity
    found = identify(engine, photo.image, photo.face_index, photo.name, same_as=photo.box)
    return Identity(photo, engine.name, found.descriptor)


@dataclass
class Who:
    """A tracked face's answer, kept with the track."""

    people: People
    engine: str
    checked_at: int
    distance: float | None
    source: SourceFace | None
    label: str | None


@dataclass
class Matcher:
    """The live path's side (the process thread only, but ``grab``): which tracked face gets
    which source, and the current frame for picking a reference in it."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    frame: int = 0
    faces: list[dict[str, Any]] = field(default_factory=list)  # what status shows
    _want: threading.Event = field(default_factory=threading.Event)
    _got: threading.Event = field(default_factory=threading.Event)
    _grabbed: np.ndarray | None = None
    _tracking: tuple[int, FaceOptions] | None = None

    def threshold(self, engine: str) -> float:
        return float(self.thresholds.get(engine, DEFAULT_THRESHOLDS.get(engine, 0.6)))

    # ---- the current frame, for the API thread -----------------------------------------------

    def offer(self, image: np.ndarray) -> None:
        """Every frame, before the swap: a copy goes to a waiting ``grab``."""
        if self._want.is_set():
            self._grabbed = image.copy()
            self._want.clear()
            self._got.set()

    def grab(self, timeout: float = 3.0) -> np.ndarray:
        self._got.clear()
        self._want.set()
        if not self._got.wait(timeout):
            self._want.clear()
            raise NoFrame(
                "no camera frame to pick a face in: start the camera (with face_swap in "
                "pipeline.processors)",
                "frame_face_index",
            )
        image, self._grabbed = self._grabbed, None
        assert image is not None
        return image

    # ---- the live path ---------------------------------------------------------------------

    def tracking_options(self, people: People, options: FaceOptions) -> FaceOptions:
        """The options the tracker gets: every face in view while someone is looked for."""
        if not people.active or options.many_faces:
            return options
        cached = self._tracking
        if cached is None or cached[0] != id(options):
            cached = (id(options), options.model_copy(update={"many_faces": True}))
            self._tracking = cached
        return cached[1]

    def choose(
        self,
        people: People,
        engine: FaceFinder,
        image: np.ndarray,
        faces: list[TargetFace],
        loaded: SourceFace | None,
    ) -> list[tuple[list[TargetFace], SourceFace]]:
        """The faces to render, grouped by the source each gets (in the order given)."""
        self.frame += 1
        if not people.active:
            self.faces = [_view(f, None, "loaded" if loaded is not None else None) for f in faces]
            return [(faces, loaded)] if faces and loaded is not None else []
        candidates = people.candidates(loaded)
        rechecked = False
        groups: dict[int, tuple[list[TargetFace], SourceFace]] = {}
        view = []
        for face in faces:
            who = face.extra.get("who")
            stale = (
                not isinstance(who, Who) or who.people is not people or who.engine != engine.name
            )
            due = not stale and self.frame - who.checked_at >= RECHECK_FRAMES  # type: ignore[union-attr]
            if stale or (due and not rechecked):
                rechecked = rechecked or not stale
                who = self._identify(people, candidates, engine, image, face)
                face.extra["who"] = who
            assert isinstance(who, Who)
            view.append(_view(face, who, who.label))
            if who.source is not None:
                groups.setdefault(id(who.source), ([], who.source))[0].append(face)
        self.faces = view
        return list(groups.values())

    def rendered(self, faces: list[TargetFace], loaded: SourceFace | None) -> None:
        """After this frame's render: per face, the face set's photo it was drawn from (the
        index into ``/face/status``'s ``source.set``; None without a set or not drawn)."""
        picks = {f.track_id: f.extra.get("set_pick") for f in faces}
        view = []
        for entry in self.faces:
            pick = picks.get(entry["track_id"])
            drawn = isinstance(pick, tuple) and pick[0] is loaded and entry["source"] == "loaded"
            view.append({**entry, "set_photo": pick[1] if drawn else None})  # type: ignore[index]
        self.faces = view

    def _identify(
        self,
        people: People,
        candidates: list[tuple[Identity, SourceFace, str]],
        engine: FaceFinder,
        image: np.ndarray,
        face: TargetFace,
    ) -> Who:
        describer = _describer(engine)
        mine = describer.describe(image, face)
        best: tuple[float, SourceFace | None, str | None] = (float("inf"), None, None)
        for identity, source, label in candidates:
            if identity.engine != engine.name:
                continue  # described by the engine before a switch: not comparable
            d = describer.identity_distance(mine, identity.descriptor)
            if d < best[0]:
                best = (d, source, label)
        distance, chosen, named = best
        if distance >= self.threshold(engine.name):
            chosen, named = None, None
        return Who(
            people,
            engine.name,
            self.frame,
            None if not np.isfinite(distance) else round(float(distance), 3),
            chosen,
            named,
        )


def _view(face: TargetFace, who: Who | None, label: str | None) -> dict[str, Any]:
    return {
        "track_id": face.track_id,
        "box": box_json(face.box),
        "matched": None if who is None else who.source is not None,
        "distance": None if who is None else who.distance,
        "source": label,
        "set_photo": None,
    }
