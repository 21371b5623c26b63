"""The background behind the person: off, blurred, a colour or a picture from the media."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio
from ar_backend.background.render import BackgroundError
from ar_backend.models import BackgroundIn
from shared.api import answer, error_response
from shared.openapi import operation
from shared.wire.backend import BackgroundStatus

bp = Blueprint("background", __name__)

TAGS = ("background",)


@bp.errorhandler(BackgroundError)
def _refused(exc: BackgroundError) -> tuple[Response, int]:
    return error_response(exc.status, str(exc), exc.field)


@bp.get("/background")
@operation("The background: its mode, settings, cost per frame", ok=BackgroundStatus, tags=TAGS)
def status() -> ResponseReturnValue:
    return answer(get_studio().background.status())


@bp.post("/background")
@operation(
    "Change the background: any of mode, blur, color, image; all checked before any applies",
    body=BackgroundIn,
    ok=BackgroundStatus,
    errors=(403, 404, 503),
    tags=TAGS,
    description="A bad value is a 400 naming the field; an image outside the media folders "
    "403, one not there 404; 503 names `mode` when person segmentation cannot run here (its "
    "model file missing: the message says how to fetch it). A refused change changes nothing.",
)
def update(body: BackgroundIn) -> ResponseReturnValue:
    return answer(get_studio().background.update(body.model_dump(exclude_unset=True)))
