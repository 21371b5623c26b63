"""File jobs: swap a face into a whole video or picture, off the live path (ar_backend/jobs).

``POST /jobs`` queues one (JSON naming a file of the media folders, or multipart with the
file itself), ``GET /jobs`` lists them, ``/jobs/<id>/cancel``, ``/retry``, ``DELETE`` and
``/output`` (the finished file) act on one.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request, send_file
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from werkzeug.datastructures import FileStorage

from ar_backend.api import get_studio
from ar_backend.api.uploads import FORM_OVERHEAD, face_index, upload_name
from ar_backend.jobs.queue import JobError
from ar_backend.models import JobDeleteQuery, JobForm, JobIn, JobListQuery
from shared import strictjson
from shared.api import ApiError, answer, error_response, validation_error
from shared.openapi import operation
from shared.wire.backend import JobDeleteOut, JobListOut, JobOut

bp = Blueprint("jobs", __name__)

TAGS = ("jobs",)
ID_PARAM = {"id": {"pattern": "^[0-9a-f]{12}$", "description": "The job's id."}}
FORM_FIELDS = {
    "input",
    "face",
    "face_index",
    "engine",
    "options",
    "background",
    "output",
    "quality",
}


@bp.errorhandler(JobError)
def _job_error(exc: JobError) -> tuple[Response, int]:
    return error_response(exc.status, exc.keyed, exc.field)


@bp.post("/jobs")
@operation(
    "Queue a file job: swap a face into a video or picture of the media folders",
    body=JobIn,
    form=JobForm,
    ok=JobOut,
    ok_status=202,
    errors=(403, 404, 409, 413, 415, 429, 503),
    tags=TAGS,
    description="Answers 202 with the job (state `queued`). JSON names a file in a media "
    "folder (`input`) and the face (`loaded`, or a picture in face.sources_dir or a media "
    "folder); multipart uploads the file as `input` (saved into the first media folder as "
    "POST /media saves it) and optionally the face picture as `face`, with the other fields "
    "as form values (`options`, `background` as JSON text). `background` (POST "
    "/background's fields; the rest the live one's) paints every frame's background, the "
    "faces kept whole. Each refusal names its field and changes "
    "nothing: 400 a bad value or a path (`../x`, `/etc/passwd`, `file:...`), 403 a link out "
    "of the folders, 404 no such file, 409 no face loaded (`face`) or an output name taken "
    "(`output`), 413 too large, 415 not a video or picture, 429 the queue is full "
    "(jobs.max_queued, `input`), 503 the engine, the enhancer, occlusion asked for or "
    "person segmentation is unavailable (`engine`, `options.enhancer`, `options.occlusion`, "
    "`background.mode`).",
)
def submit(body: JobIn | None = None) -> ResponseReturnValue:
    studio = get_studio()
    if request.mimetype == "multipart/form-data":
        return _submit_form()
    assert body is not None  # parsed by @operation for a JSON request
    changes = body.options.changes() if body.options is not None else {}
    engine, options = studio.job_settings(body.engine, changes)
    background = studio.job_background(_background_changes(body))
    face = studio.job_face(body.face, body.face_index)
    job = studio.job_submit(
        input_name=body.input,
        upload=None,
        face=face,
        engine=engine,
        options=options,
        output=body.output,
        quality=body.quality,
        background=background,
    )
    return answer(job, 202)


def _submit_form() -> ResponseReturnValue:
    studio = get_studio()
    request.max_content_length = (
        studio.media_upload_bytes() + studio.face_upload_bytes() + FORM_OVERHEAD
    )
    form, files = request.form, request.files
    for name in [*form.keys(), *files.keys()]:
        if name not in FORM_FIELDS:
            raise ApiError(400, f"{name}: not a field of POST /jobs", name)
    values: dict[str, Any] = {}
    for name in ("engine", "output"):
        text = form.get(name)
        if text not in (None, ""):
            values[name] = text
    values["face_index"] = face_index(form.get("face_index"))
    quality = form.get("quality")
    if quality not in (None, ""):
        if not re.fullmatch(r"[0-9]{1,2}", quality):
            raise ApiError(400, "quality must be a whole number from 0 to 51", "quality")
        values["quality"] = int(quality)
    for name in ("options", "background"):
        text = form.get(name)
        if text not in (None, ""):
            try:
                values[name] = strictjson.loads(text)
            except strictjson.BadJson as exc:
                raise ApiError(400, f"{name}: {exc}", name) from None
    upload = files.get("input")
    if upload is None:
        text = form.get("input")
        if not text:
            raise ApiError(400, "send the video or picture in the multipart field 'input'", "input")
        values["input"] = text
    else:
        values["input"] = upload_name(upload)  # (saved under its plain name, as /media)
    face_upload = files.get("face")
    face_text = form.get("face")
    if face_upload is None and face_text:
        values["face"] = face_text
    try:
        body = JobIn.model_validate(values)
    except ValidationError as exc:
        raise validation_error(exc) from exc
    changes = body.options.changes() if body.options is not None else {}
    engine, options = studio.job_settings(body.engine, changes)
    background = studio.job_background(_background_changes(body))
    face = studio.job_face(
        body.face, body.face_index, _face_upload(face_upload) if face_upload else None
    )
    job = studio.job_submit(
        input_name=body.input if upload is None else None,
        upload=None if upload is None else (upload.filename, upload.stream),
        face=face,
        engine=engine,
        options=options,
        output=body.output,
        quality=body.quality,
        background=background,
    )
    return answer(job, 202)


def _background_changes(body: JobIn) -> dict[str, Any]:
    """The background fields the request gives (the rest: the live background's)."""
    if body.background is None:
        return {}
    return body.background.model_dump(exclude_unset=True)


def _face_upload(upload: FileStorage) -> tuple[str, bytes]:
    limit = get_studio().face_upload_bytes()
    data = upload.read(limit + 1)
    if not data:
        raise ApiError(400, "face: the picture is empty", "face")
    if len(data) > limit:
        raise ApiError(413, "face: the picture is larger than face.max_upload_mb", "face")
    return upload_name(upload, "face"), data


@bp.get("/jobs")
@operation(
    "File jobs, newest first, and how many are in each state",
    query=JobListQuery,
    ok=JobListOut,
    errors=(503,),
    tags=TAGS,
)
def listing(query: JobListQuery) -> ResponseReturnValue:
    return answer(get_studio().jobs.listing(query.limit, query.state))


@bp.get("/jobs/<id>")
@operation("One file job", ok=JobOut, errors=(503,), tags=TAGS, path_params=ID_PARAM)
def job(id: str) -> ResponseReturnValue:
    return answer(get_studio().jobs.get(id))


@bp.post("/jobs/<id>/cancel")
@operation(
    "Cancel a job: a queued one at once, a running one within a second (no output)",
    ok=JobOut,
    errors=(409, 503),
    tags=TAGS,
    path_params=ID_PARAM,
    description="Answers the job once it has stopped (`cancelled`); 409 for a finished job.",
)
def cancel(id: str) -> ResponseReturnValue:
    return answer(get_studio().jobs.cancel(id))


@bp.post("/jobs/<id>/retry")
@operation(
    "Queue a failed, cancelled or interrupted job again (same id, progress reset)",
    ok=JobOut,
    errors=(409, 429, 503),
    tags=TAGS,
    path_params=ID_PARAM,
)
def retry(id: str) -> ResponseReturnValue:
    return answer(get_studio().jobs.retry(id))


@bp.delete("/jobs/<id>")
@operation(
    "Forget a job (not while it runs: 409); ?output=true removes its output file too",
    query=JobDeleteQuery,
    ok=JobDeleteOut,
    errors=(409, 503),
    tags=TAGS,
    path_params=ID_PARAM,
)
def delete(id: str, query: JobDeleteQuery) -> ResponseReturnValue:
    return answer(get_studio().jobs.delete(id, query.output))


@bp.get("/jobs/<id>/output")
@operation(
    "The finished file, as a download (404 until the job is done)",
    ok_media="application/octet-stream",
    alt_media=("video/mp4", "image/jpeg", "image/png", "image/webp"),
    errors=(403, 503),
    description="403 naming `output` when something else than the file the job wrote stands "
    "at its path (a link is never followed, a folder is not sent).",
    tags=TAGS,
    path_params=ID_PARAM,
)
def output(id: str) -> ResponseReturnValue:
    opened, size, name, mimetype = get_studio().jobs.output_file(id)
    resp = send_file(opened, mimetype=mimetype, as_attachment=True, download_name=name)
    resp.content_length = size  # (a file object: send_file cannot stat a path)
    return resp
