"""The audio API in process (no audio device needed): the bad-input table, a missing device
is a clear 503, the chain's bounded length and parameters, and removing what is not there
is an error, not a 200."""

from __future__ import annotations

import pytest

from ar_backend.audio.chain import EffectChain
from ar_backend.audio.effects import EffectError, EffectNotInChain
from ar_backend.config import AudioConfig


def test_a_chain_past_the_cap_is_refused_naming_effects(make_studio) -> None:
    client, studio = make_studio(audio={"max_effects": 4})
    four = [{"type": "reverb"}, {"type": "echo"}, {"type": "gain"}, {"type": "reverb"}]
    assert client.post("/audio/chain", json={"effects": four}).status_code == 200
    for count in (5, 3000):  # the probe sent 3,610 reverbs (RSS +140 MB)
        resp = client.post("/audio/chain", json={"effects": [{"type": "reverb"}] * count})
        assert resp.status_code == 400, resp.get_json()
        body = resp.get_json()
        assert body["field"] == "effects" and "4" in body["message"], body
    assert [e.type for e in studio.audio.status().effects] == [e["type"] for e in four]


def test_adding_one_past_the_cap_is_refused_naming_type(make_studio) -> None:
    client, studio = make_studio(audio={"max_effects": 2})
    assert client.post("/audio/effect", json={"type": "gain"}).status_code == 200
    assert client.post("/audio/effect", json={"type": "echo"}).status_code == 200
    resp = client.post("/audio/effect", json={"type": "reverb"})
    assert resp.status_code == 400 and resp.get_json()["field"] == "type", resp.get_json()
    # changing one already in the chain is not adding
    resp = client.post("/audio/effect", json={"type": "gain", "params": {"db": -6}})
    assert resp.status_code == 200, resp.get_json()
    assert [e.type for e in studio.audio.chain.describe()] == ["gain", "echo"]


def test_default_cap_is_16_and_config_may_not_start_past_it() -> None:
    assert AudioConfig().max_effects == 16
    with pytest.raises(ValueError, match="max_effects"):
        AudioConfig.model_validate({"max_effects": 2, "effects": [{"type": "gain"}] * 3})
    chain = EffectChain(48000, 1)
    with pytest.raises(EffectError) as err:
        chain.set_chain([{"type": "gain"}] * 17)
    assert err.value.field == "effects"


def test_delete_unknown_type_is_400_and_absent_type_is_404(make_studio) -> None:
    client, studio = make_studio()
    assert client.post("/audio/effect", json={"type": "echo"}).status_code == 200
    bogus = client.delete("/audio/effect/bogus")
    assert bogus.status_code == 400, bogus.get_json()
    assert bogus.get_json()["field"] == "effect_type" and "bogus" in bogus.get_json()["message"]
    absent = client.delete("/audio/effect/reverb")
    assert absent.status_code == 404, absent.get_json()
    assert absent.get_json()["field"] == "effect_type"
    assert [e.type for e in studio.audio.chain.describe()] == ["echo"]  # nothing changed
    gone = client.delete("/audio/effect/echo")
    assert gone.status_code == 200 and gone.get_json()["effects"] == []
    assert client.delete("/audio/effect/echo").status_code == 404
    with pytest.raises(EffectNotInChain):
        studio.audio.chain.remove("echo")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"delay_ms": 1e9}, "params.delay_ms"),
        ({"delay_ms": 0}, "params.delay_ms"),
        ({"feedback": 1.5}, "params.feedback"),
        ({"mix": -1}, "params.mix"),
    ],
)
def test_effect_params_are_bounded(make_studio, params: dict, field: str) -> None:
    client, _studio = make_studio()
    resp = client.post("/audio/effect", json={"type": "echo", "params": params})
    assert resp.status_code == 400 and resp.get_json()["field"] == field, resp.get_json()


AUDIO_BAD_INPUT = [
    ("/audio/effect", {"type": "warp"}, "type"),
    ("/audio/effect", {"type": "pitch", "params": {"semitones": 99}}, "params.semitones"),
    ("/audio/effect", {"type": "echo", "params": "fast"}, "params"),
    ("/audio/effect", {"type": "gain", "bypass": "no"}, "bypass"),
    ("/audio/effect", {"params": {}}, "type"),
    ("/audio/effect", {"type": "gain", "colour": 1}, "colour"),
    ("/audio/chain", {"effects": [{"type": "gain"}, {"type": "nope"}]}, "effects.1.type"),
]


@pytest.mark.parametrize(("path", "body", "field"), AUDIO_BAD_INPUT)
def test_audio_api_bad_input(make_studio, path: str, body: dict, field: str) -> None:
    client, _studio = make_studio()
    resp = client.post(path, json=body)
    assert resp.status_code == 400, (body, resp.get_json())
    assert resp.get_json()["field"] == field
    assert client.get("/audio/status").get_json()["effects"] == []  # nothing changed


def test_a_missing_device_is_a_clear_503(make_studio) -> None:
    client, _studio = make_studio(audio={"input_device": "no-such-microphone"})
    resp = client.post("/audio/start")
    assert resp.status_code == 503
    message = resp.get_json()["message"]
    assert "no-such-microphone" in message or "no audio device" in message
    status = client.get("/status").get_json()
    assert status["audio"]["state"] == "unavailable"
    assert client.get("/health").status_code == 200  # the rest untouched
