"""Face swap: load a source face, switch the swap on and off, settings, status, engines."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio, holds_face_changes
from ar_backend.api.uploads import allow_uploads, face_index, read_upload, upload_name
from ar_backend.face.enhancers import EnhancerUnavailable
from ar_backend.models import FaceLoadForm, FaceLoadIn, FaceSettingsIn
from shared.api import ApiError, answer, error_response
from shared.openapi import operation
from shared.wire.backend import EnginesOut, FaceLoadOut, FaceSource, FaceStatus, FaceStatusOut

bp = Blueprint("face", __name__)
holds_face_changes(bp)  # (a change right after a restart: after the restore)

SET_UPLOAD_FACTOR = 4  # a face set's photos together: at most 4 x face.max_upload_mb


TAGS = ("face",)


@bp.errorhandler(EnhancerUnavailable)
def _enhancer_unavailable(exc: EnhancerUnavailable) -> tuple[Response, int]:
    """As an unavailable engine: 503 naming the field (``enhancer``) with the reason."""
    return error_response(503, str(exc), exc.field)


@bp.post("/face/load")
@operation(
    "Load the source face: an upload, or a picture in the sources or models folder",
    body=FaceLoadIn,
    form=FaceLoadForm,
    ok=FaceLoadOut,
    errors=(404, 422, 503),
    tags=TAGS,
    description="Several faces: 422 with a `faces` list until face_index picks one.",
)
def load(body: FaceLoadIn | None = None) -> ResponseReturnValue:
    face = get_studio().face
    if request.mimetype == "multipart/form-data":
        # (before the form is read) several image parts are a face set (face/people/faceset.py):
        # all of them together at most SET_UPLOAD_FACTOR uploads
        uploads = allow_uploads(min(get_studio().face_set_max(), SET_UPLOAD_FACTOR)).getlist(
            "image"
        )
        if not uploads:
            raise ApiError(400, "send the picture in the multipart field 'image'", "image")
        indices = request.form.getlist("face_index")  # one, or one per image in order
        if len(indices) > 1 and len(indices) != len(uploads):
            raise ApiError(
                400, "give one face_index per image (empty: the only face)", "face_index"
            )
        items = [
            (
                read_upload(upload),
                face_index(indices[i] if len(indices) > 1 else next(iter(indices), None)),
                upload_name(upload),
            )
            for i, upload in enumerate(uploads)
        ]
        if len(items) == 1:
            return answer(face.load_image(*items[0]))
        return answer(face.load_images(items))
    assert body is not None  # parsed by @operation for a JSON request
    return answer(face.load_path(body.model_path, body.face_index))


@bp.delete("/face/load")
@operation(
    "Unload the source face (a face set too); the swap, if on, stays on with nothing to draw",
    ok=FaceSource,
    tags=TAGS,
    description="With the guard on, frames with a face are then guarded until a face is loaded.",
)
def unload() -> ResponseReturnValue:
    return answer(get_studio().face.unload())


@bp.post("/face/start")
@operation(
    "Switch the swap on (409 until a face is loaded)", ok=FaceStatus, errors=(409,), tags=TAGS
)
def start() -> ResponseReturnValue:
    return answer(get_studio().face_start())


@bp.post("/face/stop")
@operation("Switch the swap off", ok=FaceStatus, tags=TAGS)
def stop() -> ResponseReturnValue:
    return answer(get_studio().face.stop())


@bp.post("/face/settings")
@operation(
    "Change the engine and options; all checked before any applies",
    body=FaceSettingsIn,
    ok=FaceStatus,
    errors=(503,),
    tags=TAGS,
    description="503 names `engine` or `enhancer` when the one chosen cannot run here "
    "(a missing or corrupt model file: the message says how to fetch it); nothing changes.",
)
def settings(body: FaceSettingsIn) -> ResponseReturnValue:
    return answer(get_studio().face.update(body.engine, body.changes()))


@bp.get("/face/status")
@operation("Swap state, engine, options, counters and the loaded face", ok=FaceStatusOut, tags=TAGS)
def status() -> ResponseReturnValue:
    return answer(get_studio().face.full_status())


@bp.get("/face/engines")
@operation("Every engine, available or with the reason it is not", ok=EnginesOut, tags=TAGS)
def engines() -> ResponseReturnValue:
    return answer(get_studio().face_engines())
