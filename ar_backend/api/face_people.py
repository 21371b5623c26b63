"""Who gets swapped: the reference person and the face map (ar_backend/face/people/reference.py)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from ar_backend.api import get_studio, holds_face_changes
from ar_backend.api.uploads import allow_uploads, face_index, read_upload, upload_name
from ar_backend.face.people.reference import MAX_MAP
from ar_backend.models import FaceMapForm, FaceReferenceForm, FaceReferenceIn
from shared.api import ApiError, answer
from shared.openapi import operation
from shared.wire.backend import FacePeopleOut

bp = Blueprint("face_people", __name__)
holds_face_changes(bp)  # (a change right after a restart: after the restore)

TAGS = ("face",)
MAP_UPLOAD_FACTOR = 4  # a whole face map: at most 4 x face.max_upload_mb


def _index(name: str) -> int | None:
    return face_index(request.form.get(name), name)


def _photo(upload: FileStorage, field: str) -> tuple[bytes, int | None, str]:
    """One photo of a pair: its bytes, ``<field>_face_index`` and its name."""
    return read_upload(upload, field), _index(f"{field}_face_index"), upload_name(upload, field)


@bp.post("/face/reference")
@operation(
    "Set the reference person: only faces matching it are swapped",
    body=FaceReferenceIn,
    form=FaceReferenceForm,
    ok=FacePeopleOut,
    errors=(409, 422, 503),
    tags=TAGS,
    description="Multipart `image` (optional `face_index`): a photo of the person to replace; "
    'or JSON `{"frame_face_index": N}`: face N (leftmost first) of the camera\'s current frame '
    "(409 while no frame comes). Faces within face.reference_threshold of it get the loaded "
    "source; the others stay as they are.",
)
def set_reference(body: FaceReferenceIn | None = None) -> ResponseReturnValue:
    people = get_studio().people
    if request.mimetype == "multipart/form-data":
        upload = allow_uploads().get("image")
        if upload is None:
            raise ApiError(400, "send the photo in the multipart field 'image'", "image")
        index = _index("face_index")
        return answer(people.set_reference(read_upload(upload), index, upload_name(upload)))
    assert body is not None  # parsed by @operation for a JSON request
    return answer(people.reference_from_frame(body.frame_face_index))


@bp.delete("/face/reference")
@operation("Forget the reference person: every face is swapped again", ok=FacePeopleOut, tags=TAGS)
def clear_reference() -> ResponseReturnValue:
    return answer(get_studio().people.clear_reference())


@bp.post("/face/map")
@operation(
    "Set the face map: per person in view (a reference photo), the source face they get",
    form=FaceMapForm,
    ok=FacePeopleOut,
    errors=(422, 503),
    tags=TAGS,
    description="Multipart only: `reference_0` + `source_0`, `reference_1` + `source_1`, ... "
    f"(at most {MAX_MAP} pairs, numbered from 0 without gaps; optional `reference_<i>_face_index`"
    " and `source_<i>_face_index`). Replaces the map before; all photos together at most "
    f"{MAP_UPLOAD_FACTOR} x face.max_upload_mb.",
)
def set_map() -> ResponseReturnValue:
    people = get_studio().people
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the face map as multipart/form-data (reference_0, source_0...)")
    files = allow_uploads(MAP_UPLOAD_FACTOR, "body")
    known = {f"{kind}_{i}" for kind in ("reference", "source") for i in range(MAX_MAP)}
    for name in files:
        if name not in known:
            raise ApiError(
                400, f"unknown field {name!r}: pairs are reference_<i> and source_<i>", name
            )
    pairs = []
    for i in range(MAX_MAP):
        ref, src = files.get(f"reference_{i}"), files.get(f"source_{i}")
        if ref is None and src is None:
            break
        if ref is None or src is None:
            missing = f"reference_{i}" if ref is None else f"source_{i}"
            raise ApiError(400, f"pair {i} needs both reference_{i} and source_{i}", missing)
        pairs.append(
            (
                _photo(ref, f"reference_{i}"),
                _photo(src, f"source_{i}"),
            )
        )
    if not pairs:
        raise ApiError(400, "send at least reference_0 and source_0", "reference_0")
    if len(files) > 2 * len(pairs):
        # a pair after a gap (reference_0, reference_2): numbered without gaps
        raise ApiError(400, "pairs are numbered from 0 without gaps", f"reference_{len(pairs)}")
    return answer(people.set_map(pairs))


@bp.delete("/face/map")
@operation("Forget the face map", ok=FacePeopleOut, tags=TAGS)
def clear_map() -> ResponseReturnValue:
    return answer(get_studio().people.clear_map())
