"""The source face: a picture's face chosen and prepared by an engine, as ``POST /face/load``
loads it and a file job takes it (:func:`prepare_picture`), a face set's photos each
prepared (:func:`prepare_set`), and a picture named by path checked to lie in the allowed
folders (:func:`resolve_picture`). Plain functions: nothing here holds state."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ar_backend.face.errors import FaceError, FaceFileNotFound, ManyFaces, NoFace, PathRefused
from ar_backend.face.faces import FaceFinder, SourceFace, TargetFace, picture_faces
from ar_backend.face.imaging.geometry import iou
from ar_backend.face.imaging.images import box_json, face_thumbnail
from ar_backend.face.people import faceset
from shared.messages import list_fields
from shared.paths import inside

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
SAME_FACE_IOU = 0.3  # the face chosen before, found again by another engine, overlaps this


class SourceMaker(FaceFinder, Protocol):
    """What preparing a source needs of an engine (every engine is one)."""

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace: ...


@dataclass
class Picture:
    """A decoded picture, its name, the face asked for in it and the face chosen (its box, so
    another engine can find the same one)."""

    image: np.ndarray
    name: str
    face_index: int | None
    box: np.ndarray


def prepare_picture(
    engine: SourceMaker,
    image: np.ndarray,
    face_index: int | None,
    name: str,
    same_as: np.ndarray | None = None,
) -> tuple[SourceFace, dict[str, Any]]:
    """The face ``face_index`` (0 the leftmost; required when there are several), or the one
    at ``same_as`` (the face chosen before, found again by another engine), prepared as the
    source, and what status says of it. NoFace, ManyFaces (listing them) or FaceError (an
    index out of range) otherwise."""
    faces = sorted(picture_faces(engine, image), key=lambda f: float(f.box[0]))
    if not faces:
        raise NoFace("no face found in the image")
    if same_as is not None:
        best = max(range(len(faces)), key=lambda i: iou(faces[i].box, same_as))
        if iou(faces[best].box, same_as) < SAME_FACE_IOU:
            raise NoFace(
                f"the {engine.name} engine does not find the loaded face in {name}; "
                "load the picture again"
            )
        face_index = best
    listed = [{"index": i, **box_json(f.box)} for i, f in enumerate(faces)]
    if face_index is None and len(faces) > 1:
        raise ManyFaces(
            f"{len(faces)} faces found; choose one with face_index (0 is the leftmost)",
            listed,
        )
    index = face_index or 0
    if index >= len(faces):
        raise FaceError(
            f"face_index {index} is out of range: {len(faces)} face(s) found", "face_index"
        )
    face = faces[index]
    source = engine.prepare_source(image, face)
    h, w = image.shape[:2]
    info = {
        "name": name,
        "engine": engine.name,
        "face": box_json(face.box),
        "face_index": index,
        "faces_found": len(faces),
        "image_size": {"width": w, "height": h},
        "thumbnail": face_thumbnail(image, face.box),
        **list_fields("notes", list(source.notes)),
        "loaded_at": time.time(),
    }
    return source, info


def prepare_set(
    engine: SourceMaker, photos: list[Picture], same_as: bool
) -> tuple[SourceFace, dict[str, Any], list[Picture]]:
    """A face set: each photo prepared (found again at its box when ``same_as``), then one
    source carrying them all (face/people/faceset.py); the status info lists each photo with
    its head pose; the photos with the faces chosen."""
    prepared = []
    for i, photo in enumerate(photos):
        box = photo.box if same_as else None
        try:
            prepared.append(prepare_picture(engine, photo.image, photo.face_index, photo.name, box))
        except FaceError as exc:
            exc.args = (f"photo {i} ({photo.name}): {exc}",)
            raise
    source = faceset.build([s for s, _ in prepared])
    poses = faceset.describe(source)
    info = {
        **prepared[0][1],
        "set": [
            {**{k: p[1][k] for k in ("name", "face", "face_index")}, **pose}
            for p, pose in zip(prepared, poses, strict=True)
        ],
    }
    chosen = [
        Picture(photo.image, photo.name, photo.face_index, s.box)
        for photo, (s, _) in zip(photos, prepared, strict=True)
    ]
    return source, info, chosen


def resolve_picture(text: str, folders: list[Path]) -> Path:
    """A face picture named by a request: a file in one of ``folders`` (relative names are
    looked for in each), never read when it lies outside them (``..``, symlinks and
    absolute paths resolved first) or is not a picture: PathRefused, or FaceFileNotFound."""
    try:
        return _resolve(text, folders)
    except (ValueError, RuntimeError, OSError) as exc:  # NUL bytes, over-long names
        raise PathRefused(f"{text[:80]!r} is not a usable file name ({exc})") from None


def _resolve(text: str, folders: list[Path]) -> Path:
    candidate = Path(text)
    options = [candidate] if candidate.is_absolute() else [f / candidate for f in folders]
    for option in options:
        resolved = option.resolve()  # '..' and symlinks resolved before the check
        if any(inside(resolved, f) for f in folders):
            if resolved.suffix.lower() not in IMAGE_SUFFIXES:
                raise PathRefused(
                    f"{text!r} is not a face image ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                    "model files are chosen by the engine settings"
                )
            if resolved.is_file():
                return resolved
            continue
    named = ", ".join(str(f) for f in folders)
    if not any(any(inside(o.resolve(), f) for f in folders) for o in options):
        raise PathRefused(f"{text!r} is outside the allowed folders ({named})")
    raise FaceFileNotFound(f"no file {text!r} in {' or '.join(str(f) for f in folders)}")
