"""Model files: GET /models (state of each file), POST /models/<name>/fetch and /cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio
from ar_backend.weights.fetch import UnknownModel
from ar_backend.weights.manifest import ManifestError
from shared.api import ApiError, answer
from shared.openapi import operation
from shared.wire.backend import ModelOut, ModelsOut

bp = Blueprint("models", __name__)

TAGS = ("models",)
NAME_PARAM = {"name": {"description": "A model name from GET /models (the manifest)."}}
M = TypeVar("M", ModelOut, ModelsOut)


def _guard(call: Callable[[], M]) -> M:
    try:
        return call()
    except UnknownModel as exc:
        raise ApiError(404, f"no model named {exc.args[0]!r} in the manifest", "name") from exc
    except ManifestError as exc:
        raise ApiError(503, str(exc)) from exc


@bp.get("/models")
@operation(
    "Every model in the manifest: licence, what uses it, each file's state",
    ok=ModelsOut,
    errors=(503,),
    tags=TAGS,
)
def listing() -> ResponseReturnValue:
    return answer(_guard(get_studio().models.listing))


@bp.post("/models/<name>/fetch")
@operation(
    "Start downloading a model's files (verified before they are put in place)",
    ok=ModelOut,
    ok_status=202,
    errors=(404, 503),
    tags=TAGS,
    path_params=NAME_PARAM,
    description="Answers 202 at once; GET /models shows the progress.",
)
def fetch(name: str) -> ResponseReturnValue:
    return answer(_guard(lambda: get_studio().models.start(name)), 202)


@bp.post("/models/<name>/cancel")
@operation(
    "Stop a model's download (what was downloaded is kept to resume)",
    ok=ModelOut,
    errors=(404, 503),
    tags=TAGS,
    path_params=NAME_PARAM,
)
def cancel(name: str) -> ResponseReturnValue:
    return answer(_guard(lambda: get_studio().models.cancel(name)))
