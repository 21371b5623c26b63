"""Multipart picture uploads (face, face set, reference, face map): limits and fields."""

from __future__ import annotations

import re

from flask import request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from ar_backend.api import get_studio
from ar_backend.face.imaging.images import image_too_large
from ar_backend.sources.media import display_name
from shared.api import ApiError
from shared.messages import msg

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields
CHUNK = 1 << 20


def upload_limit() -> int:
    """One picture's largest size in bytes (face.max_upload_mb)."""
    return get_studio().face_upload_bytes()


def allow_uploads(count: int = 1, field: str = "image") -> MultiDict[str, FileStorage]:
    """Let this request's body hold ``count`` pictures and read its files: a body over that
    is a 413 naming ``field`` with its size and the limit (not the generic body limit)."""
    limit = upload_limit()
    request.max_content_length = limit * count + FORM_OVERHEAD
    try:
        return request.files
    except RequestEntityTooLarge:
        size = request.content_length or 0
        message = image_too_large(size, limit)
        if count > 1:
            message = msg(
                "face.upload_too_large",
                size_mb=size / 1e6,
                total_mb=limit * count / 1e6,
                count=count,
                limit_mb=limit / 1e6,
                key="face.max_upload_mb",
            )
        raise ApiError(413, message, field) from None


def read_upload(upload: FileStorage, field: str = "image") -> bytes:
    """The picture's bytes; over face.max_upload_mb a 413 naming ``field`` that says the
    picture's real size (the rest of it is read to count it: the body is bounded)."""
    limit = upload_limit()
    data = upload.read(limit + 1)
    if len(data) > limit:
        size = len(data)
        while chunk := upload.read(CHUNK):
            size += len(chunk)
        raise ApiError(413, image_too_large(size, limit), field)
    return data


def upload_name(upload: FileStorage, default: str = "upload") -> str:
    """The name an upload is kept and shown under, cleaned as POST /media cleans names (the
    last path part, ASCII letters, digits and ._-, at most 100 characters): no NUL, no
    right-to-left override, no ``/etc/``, never 5,000 characters echoed back."""
    return display_name(upload.filename, default)


def face_index(text: str | None, name: str = "face_index") -> int | None:
    """A form's face index: empty is None, else a whole number 0..99 (400 naming ``name``)."""
    if text is None or text == "":
        return None
    if not re.fullmatch(r"[0-9]{1,2}", text):
        raise ApiError(400, f"{name} must be a whole number from 0 to 99", name)
    return int(text)
