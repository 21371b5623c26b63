"""The live options with a change applied, all checked: what ``POST /face/settings`` and a
file job's options go through."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ar_backend.config import FaceOptions
from ar_backend.face.engines.base import REGISTRY as ENGINES
from ar_backend.face.errors import FaceError

M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], data: dict[str, Any], prefix: str | None) -> M:
    """``data`` validated by ``model`` (defaults filled in), or FaceError naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join([*([prefix] if prefix else []), *(str(p) for p in err["loc"])])
        raise FaceError(f"{field}: {err['msg']}", field) from None


def merged_options(before: FaceOptions, changes: dict[str, Any]) -> FaceOptions:
    """``before`` with ``changes``, all checked: the shared options by FaceOptions, each
    engine's own (``engine_options``, merged option by option) by its options model, and
    every registered engine's filled in with its defaults. A bad value is FaceError naming it
    (``engine_options.classic.shape_strength``), an engine nothing registered UnknownName
    (``engine_options.<name>``)."""
    own_changes = changes.get("engine_options") or {}
    for name in own_changes:
        ENGINES.get(name, field=f"engine_options.{name}")
    engine_options: dict[str, dict[str, Any]] = {}
    for name, kind in ENGINES.items():
        raw = {**(before.engine_options.get(name) or {}), **(own_changes.get(name) or {})}
        own = checked(kind.options, raw, f"engine_options.{name}")
        engine_options[name] = own.model_dump()
    shared = {**before.model_dump(), **changes, "engine_options": engine_options}
    return checked(FaceOptions, shared, None)
