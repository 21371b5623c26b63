"""Personas: list, save, delete, apply (/personas*, docs/contracts.md). Parse, call, answer."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio, holds_face_changes
from ar_backend.models import PersonaIn
from ar_backend.personas import PersonaError
from shared.api import answer, error_response
from shared.openapi import operation
from shared.wire.backend import PersonaApplyOut, PersonaDeleteOut, PersonaListOut, PersonaOut

bp = Blueprint("personas", __name__, url_prefix="/personas")
holds_face_changes(bp)  # (a change right after a restart: after the restore)
TAGS = ("personas",)
NAME_PARAM = {
    "name": {
        "pattern": "^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$",
        "maxLength": 40,
        "description": "The persona's name.",
    }
}


@bp.errorhandler(PersonaError)
def _persona_error(exc: PersonaError) -> tuple[Response, int]:
    return error_response(exc.status, exc.keyed, exc.field)


@bp.get("")
@operation("The saved personas, the one applied last", ok=PersonaListOut, tags=TAGS)
def list_personas() -> ResponseReturnValue:
    return answer(get_studio().persona_list())


@bp.post("")
@operation(
    "Save a persona: the loaded face (or face set), a voice chain and a label under a name",
    body=PersonaIn,
    ok=PersonaOut,
    errors=(409, 503),
    tags=TAGS,
    description="A name saved already is replaced. Each part is checked first (a bad name, "
    "effect or parameter: 400 naming `name` or `voice.<i>...`; `face: loaded` with no face "
    "loaded: 409 naming `face`); a refusal changes nothing. `slot` 1-4 is its hotkey "
    "(F1-F4), taken from another persona that had it.",
)
def save_persona(body: PersonaIn) -> ResponseReturnValue:
    voice = [effect.spec() for effect in body.voice]
    return answer(get_studio().persona_save(body.name, body.label, voice, body.face, body.slot))


@bp.delete("/<name>")
@operation(
    "Delete a persona (404 naming name when there is none)",
    ok=PersonaDeleteOut,
    tags=TAGS,
    path_params=NAME_PARAM,
)
def delete_persona(name: str) -> ResponseReturnValue:
    return answer(get_studio().persona_delete(name))


@bp.post("/<name>/apply")
@operation(
    "Apply a persona: its face, voice and label switch together",
    ok=PersonaApplyOut,
    errors=(409, 422, 503),
    tags=TAGS,
    path_params=NAME_PARAM,
    description="The face is prepared first; then face, overlay label and voice chain change "
    "between two frames (no frame has the new face with the old label). A face that cannot "
    "be prepared changes nothing.",
)
def apply_persona(name: str) -> ResponseReturnValue:
    return answer(get_studio().persona_apply(name))
