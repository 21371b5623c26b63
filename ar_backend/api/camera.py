"""Camera control: start, stop, status, devices (both /camera/... and /api/camera/...); the
media folder's files a camera can play, and uploads into it (/media)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from ar_backend.api import get_studio
from ar_backend.api.uploads import FORM_OVERHEAD
from ar_backend.models import CameraStartIn, MediaUploadForm
from shared.api import ApiError, answer
from shared.openapi import operation
from shared.wire.backend import (
    CameraDeviceListOut,
    CameraStartOut,
    CameraStatus,
    CameraStopOut,
    MediaListOut,
    MediaUploadOut,
)

bp = Blueprint("camera", __name__)
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def _both(rule: str, **kw: Any) -> Callable[[View], View]:
    def deco(fn: View) -> View:
        bp.add_url_rule(rule, fn.__name__, fn, **kw)
        bp.add_url_rule("/api" + rule, "api_" + fn.__name__, fn, **kw)
        return fn

    return deco


TAGS = ("camera",)


@_both("/camera/start", methods=["POST"])
@operation(
    "Start the camera (an empty body: the configured source)",
    body=CameraStartIn,
    body_required=False,
    ok=CameraStartOut,
    errors=(503,),
    tags=TAGS,
    description="A network URL answers at once with state 'connecting'; /camera/status "
    "follows it. Files must lie in media.folders (403 otherwise).",
)
def camera_start(body: CameraStartIn) -> ResponseReturnValue:
    return answer(get_studio().camera_start(body.spec()))


@_both("/camera/stop", methods=["POST"])
@operation("Stop the camera (stopping when stopped is fine)", ok=CameraStopOut, tags=TAGS)
def camera_stop() -> ResponseReturnValue:
    return answer(get_studio().camera_stop())


@_both("/camera/status", methods=["GET"])
@operation("State, source, fps, dropped frames, latency", ok=CameraStatus, tags=TAGS)
def camera_status() -> ResponseReturnValue:
    return answer(get_studio().camera_status())


@_both("/camera/devices", methods=["GET"])
@operation(
    "Camera devices that open, by index and by name",
    ok=CameraDeviceListOut,
    tags=TAGS,
    description="`named`: per device its name (Linux: the driver's), /dev path and whether it "
    "is a virtual camera (v4l2loopback, ours among them: not an input to offer).",
)
def camera_devices() -> ResponseReturnValue:
    return answer(get_studio().camera_devices())


MEDIA_TAGS = ("media",)


@bp.get("/media")
@operation(
    "The videos and images in the media folders a camera can play",
    ok=MediaListOut,
    tags=MEDIA_TAGS,
    description="Each file's `source` is what POST /camera/start takes to play it.",
)
def media_files() -> ResponseReturnValue:
    return answer(get_studio().media_files())


@bp.post("/media")
@operation(
    "Upload a video or image into the media folder",
    form=MediaUploadForm,
    ok=MediaUploadOut,
    errors=(413, 415, 503),
    tags=MEDIA_TAGS,
    description="Multipart field `file`. Saved in the first of media.folders under its plain "
    "name (the last path part, letters, digits and ._- kept; -1, -2... when taken); answers "
    "the `source` to POST /camera/start. 400 no usable name or an empty file, 413 over "
    "media.max_upload_mb, 415 another extension or content OpenCV cannot read (all naming "
    "`file`).",
)
def media_upload() -> ResponseReturnValue:
    studio = get_studio()
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the file as multipart/form-data, in the field 'file'", "file")
    limit = studio.media_upload_bytes()
    too_large = ApiError(
        413, f"the file is larger than media.max_upload_mb ({limit / 1e6:g} MB)", "file"
    )
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        raise too_large  # refused before a byte of it is read
    request.max_content_length = limit + FORM_OVERHEAD
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise too_large from None
    if upload is None:
        raise ApiError(400, "send the video or image in the multipart field 'file'", "file")
    try:
        return answer(studio.media_save(upload.filename, upload.stream))
    finally:
        upload.close()
