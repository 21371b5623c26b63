"""Face swap: load a source face, switch the swap on and off, settings, status, engines."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request

from ar_backend.api import get_studio
from ar_backend.models import FaceLoadIn, FaceSettingsIn
from shared.api import ApiError, parse_body

bp = Blueprint("face", __name__)

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields


def _face_index(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not re.fullmatch(r"[0-9]{1,2}", text):
        raise ApiError(400, "face_index must be a whole number from 0 to 99", "face_index")
    return int(text)


@bp.post("/face/load")
def load():  # type: ignore[no-untyped-def]
    face = get_studio().face
    if request.mimetype == "multipart/form-data":
        request.max_content_length = int(face.cfg.max_upload_mb * 1e6) + FORM_OVERHEAD
        upload = request.files.get("image")
        if upload is None:
            raise ApiError(400, "send the picture in the multipart field 'image'", "image")
        index = _face_index(request.form.get("face_index"))
        data = upload.read(int(face.cfg.max_upload_mb * 1e6) + 1)
        return jsonify(face.load_image(data, index, upload.filename or "upload"))
    body = parse_body(FaceLoadIn)
    return jsonify(face.load_path(body.model_path, body.face_index))


@bp.post("/face/start")
def start():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().face_start())


@bp.post("/face/stop")
def stop():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().face.stop())


@bp.post("/face/settings")
def settings():  # type: ignore[no-untyped-def]
    body = parse_body(FaceSettingsIn)
    return jsonify(get_studio().face.update(body.engine, body.changes()))


@bp.get("/face/status")
def status():  # type: ignore[no-untyped-def]
    face = get_studio().face
    return jsonify({**face.status(), "source": face.source_status()})


@bp.get("/face/engines")
def engines():  # type: ignore[no-untyped-def]
    face = get_studio().face
    return jsonify(engines=face.engines(), active=face.engine_name)
