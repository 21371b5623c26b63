"""Each engine's own options live under it (``engine_options.<engine>``, checked by the
engine's options model, as a voice effect has its Params); the flat ``shape_strength`` of
older clients and config files still works, as the classic engine's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ar_backend.config import FaceOptions, load_backend_config
from ar_backend.studio import check_names
from shared.config import ConfigError

DEFAULTS = {"classic": {"shape_strength": 1.0}, "hyperswap": {}, "inswapper": {}}


def own(client) -> dict:  # type: ignore[no-untyped-def]
    return client.get("/face/status").get_json()["options"]["engine_options"]


def test_status_lists_every_engines_options_and_both_spellings_change_them(make_studio) -> None:
    client, _studio = make_studio()
    options = client.get("/face/status").get_json()["options"]
    assert options["engine_options"] == DEFAULTS and "shape_strength" not in options
    resp = client.post("/face/settings", json={"shape_strength": 0.4})  # older clients
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["options"]["engine_options"]["classic"] == {"shape_strength": 0.4}
    resp = client.post("/face/settings", json=classic(shape_strength=0.7))
    assert resp.status_code == 200, resp.get_json()
    assert own(client) == {**DEFAULTS, "classic": {"shape_strength": 0.7}}
    resp = client.post("/face/settings", json={"detect_every": 9, "engine_options": {}})
    assert resp.status_code == 200 and own(client)["classic"] == {"shape_strength": 0.7}


CLASSIC = "engine_options.classic"


def classic(**values: object) -> dict:
    return {"engine_options": {"classic": values}}


BAD = [
    (classic(shape_strength=2), f"{CLASSIC}.shape_strength"),
    (classic(shape_strength="1"), f"{CLASSIC}.shape_strength"),
    (classic(strength=1), f"{CLASSIC}.strength"),
    ({"engine_options": {"inswapper": {"shape_strength": 1}}}, "engine_options.inswapper"),
    ({"engine_options": {"nope": {}}}, "engine_options.nope"),
    ({"shape_strength": 0.5, **classic(shape_strength=0.5)}, "shape_strength"),
    ({"detect_every": 7, **classic(shape_strength=-1)}, f"{CLASSIC}.shape_strength"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_a_bad_engine_option_is_400_naming_it_and_changes_nothing(
    make_studio, body: dict, field: str
) -> None:
    client, _studio = make_studio()
    before = client.get("/face/status").get_json()["options"]
    resp = client.post("/face/settings", json=body)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["field"].startswith(field), resp.get_json()
    if field == "engine_options.nope":
        assert "known: classic, hyperswap, inswapper" in resp.get_json()["message"]
    assert client.get("/face/status").get_json()["options"] == before


def test_the_flat_config_key_still_loads_as_the_classic_engines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "backend.yaml"
    path.write_text("face:\n  options:\n    shape_strength: 0.3\n")
    with caplog.at_level(logging.WARNING, logger="ar_backend.config"):
        config = load_backend_config(path, environ={})
    assert config.face.options.engine_options == {"classic": {"shape_strength": 0.3}}
    assert "engine_options.classic.shape_strength" in caplog.text
    check_names(config)
    assert FaceOptions().engine_options == {}  # unset: each engine's defaults


def test_engine_options_in_the_config_are_checked_at_load(tmp_path: Path) -> None:
    path = tmp_path / "backend.yaml"
    path.write_text(
        "face:\n  options:\n    engine_options:\n"
        "      classic: {shape_strength: 3}\n      clasic: {shape_strength: 1}\n"
    )
    with pytest.raises(ConfigError) as err:
        check_names(load_backend_config(path, environ={}))
    message = str(err.value)
    assert "face.options.engine_options.classic.shape_strength: " in message, message
    assert "face.options.engine_options.clasic: unknown face engine 'clasic'" in message, message
