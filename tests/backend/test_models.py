"""Every number a request may carry is bounded in its model, so a bad one is a 400 naming the
field before anything changes."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest
from pydantic import BaseModel

from ar_backend import models
from ar_backend.audio.effects import REGISTRY as EFFECTS
from ar_backend.config import FaceOptions
from ar_backend.face.engines.classic import ClassicOptions

REQUEST_MODELS = [
    cls
    for _name, cls in inspect.getmembers(models, inspect.isclass)
    if issubclass(cls, BaseModel) and cls.__module__ == models.__name__
]


def numeric_bounds(model: type[BaseModel]) -> dict[str, tuple[float | None, float | None]]:
    """{field: (lowest, highest)} for each numeric field, None where a side is open."""
    found = {}
    for name, spec in model.model_json_schema()["properties"].items():
        options = spec.get("anyOf", [spec])
        if not any(o.get("type") in ("number", "integer") for o in options):
            continue
        merged: dict[str, Any] = {}
        for option in options:
            merged.update(option)
        merged.update(spec)
        low = merged.get("minimum", merged.get("exclusiveMinimum"))
        high = merged.get("maximum", merged.get("exclusiveMaximum"))
        found[name] = (low, high)
    return found


@pytest.mark.parametrize(
    "model",
    REQUEST_MODELS + [cls.Params for cls in EFFECTS.values()],
    ids=lambda m: m.__qualname__,
)
def test_every_numeric_field_has_finite_bounds(model: type[BaseModel]) -> None:
    for name, (low, high) in numeric_bounds(model).items():
        assert low is not None and high is not None, f"{model.__name__}.{name} is unbounded"
        assert math.isfinite(low) and math.isfinite(high), f"{model.__name__}.{name}"


def test_face_settings_bounds_are_the_configs() -> None:
    settings = numeric_bounds(models.FaceSettingsIn)
    assert set(settings) == {
        "detect_every",
        "detect_size",
        "smoothing",
        "likeness",
        "shape_strength",
        "enhancer_strength",
        "work_px",
    }
    config = {**numeric_bounds(FaceOptions), **numeric_bounds(ClassicOptions)}  # flat: classic's
    assert settings == {k: v for k, v in config.items() if k in settings}


BAD_SETTINGS = [
    ({"detect_every": 0}, "detect_every"),
    ({"detect_every": 10**9}, "detect_every"),
    ({"detect_every": 1.5}, "detect_every"),
    ({"detect_size": 159}, "detect_size"),
    ({"detect_size": 2**40}, "detect_size"),
    ({"smoothing": -0.1}, "smoothing"),
    ({"smoothing": 1e308}, "smoothing"),
    ({"smoothing": True}, "smoothing"),
    ({"shape_strength": 1.01}, "shape_strength"),
    ({"shape_strength": "1"}, "shape_strength"),
    ({"enhancer_strength": 1.5}, "enhancer_strength"),
    ({"work_px": -1}, "work_px"),
    ({"work_px": 10**6}, "work_px"),
    ({"enhancer": "codeformer"}, "enhancer"),
    ({"detect_every": 5, "shape_strength": -1}, "shape_strength"),
]


@pytest.mark.parametrize(("body", "field"), BAD_SETTINGS)
def test_bad_face_settings_are_refused_by_the_model(body: dict, field: str) -> None:
    with pytest.raises(ValueError) as err:
        models.FaceSettingsIn.model_validate(body)
    assert err.value.errors()[0]["loc"][0] == field  # type: ignore[attr-defined]


def test_bad_face_settings_are_400_and_change_nothing(make_studio) -> None:
    client, _studio = make_studio()
    before = client.get("/face/status").get_json()["options"]
    for body, field in BAD_SETTINGS:
        resp = client.post("/face/settings", json=body)
        assert resp.status_code == 400, (body, resp.get_json())
        assert resp.get_json()["field"] == field, (body, resp.get_json())
        assert client.get("/face/status").get_json()["options"] == before
    ok = client.post("/face/settings", json={"detect_every": 120, "smoothing": 0})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["options"]["detect_every"] == 120
