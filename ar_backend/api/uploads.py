"""Multipart picture uploads (face, face set, reference, face map): limits and fields."""

from __future__ import annotations

import re

from flask import request
from werkzeug.datastructures import FileStorage

from ar_backend.api import get_studio
from shared.api import ApiError

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields


def upload_limit() -> int:
    """One picture's largest size in bytes (face.max_upload_mb)."""
    return int(get_studio().face.cfg.max_upload_mb * 1e6)


def allow_uploads(count: int = 1) -> None:
    """Let this request's body hold ``count`` pictures (call before the form is read)."""
    request.max_content_length = upload_limit() * count + FORM_OVERHEAD


def read_upload(upload: FileStorage) -> bytes:
    """The picture's bytes, one more than the limit at most (the engine refuses those)."""
    return upload.read(upload_limit() + 1)


def face_index(text: str | None, name: str = "face_index") -> int | None:
    """A form's face index: empty is None, else a whole number 0..99 (400 naming ``name``)."""
    if text is None or text == "":
        return None
    if not re.fullmatch(r"[0-9]{1,2}", text):
        raise ApiError(400, f"{name} must be a whole number from 0 to 99", name)
    return int(text)
