"""Audio: start, stop, status, devices, effect types and the chain (/audio/*, docs/contracts.md)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio
from ar_backend.models import AudioStartIn, ChainIn, EffectIn
from shared.api import answer
from shared.openapi import operation
from shared.wire.backend import (
    AudioStatus,
    DeviceListOut,
    EffectChainOut,
    EffectTypesOut,
    ToneOut,
)

bp = Blueprint("audio", __name__, url_prefix="/audio")
TAGS = ("audio",)


@bp.post("/start")
@operation(
    "Start the voice stream, optionally on chosen devices (503 when there is no audio device)",
    body=AudioStartIn,
    body_required=False,
    ok=AudioStatus,
    errors=(503,),
    tags=TAGS,
    description="No body: the devices in use (the config's until chosen). `input_device`, "
    "`output_device`: a name or index from GET /audio/devices, kept for later starts (null: "
    "back to the configured one); one PortAudio does not list is 400 naming the field and "
    "changes nothing. Running already: it moves to the devices named.",
)
def start(body: AudioStartIn) -> ResponseReturnValue:
    return answer(get_studio().audio.start(body.devices()))


@bp.post("/stop")
@operation("Stop the voice stream", ok=AudioStatus, tags=TAGS)
def stop() -> ResponseReturnValue:
    return answer(get_studio().audio.stop())


@bp.get("/status")
@operation("Stream state, devices, level, effects", ok=AudioStatus, tags=TAGS)
def status() -> ResponseReturnValue:
    return answer(get_studio().audio.status())


@bp.post("/test_tone")
@operation(
    "Play a short test tone on the voice's output device (503 when there is none)",
    ok=ToneOut,
    errors=(503,),
    tags=TAGS,
    description="One second of a soft 440 Hz tone on the output device in use (the "
    "config's until POST /audio/start chose another), beside the voice if it runs. The 503 "
    "carries `fix`, as /audio/status does.",
)
def test_tone() -> ResponseReturnValue:
    return answer(get_studio().audio.test_tone())


@bp.get("/devices")
@operation("Audio devices PortAudio sees", ok=DeviceListOut, tags=TAGS)
def devices() -> ResponseReturnValue:
    return answer(get_studio().audio.devices())


@bp.get("/effects")
@operation("Every effect type with its parameters' ranges", ok=EffectTypesOut, tags=TAGS)
def effect_types() -> ResponseReturnValue:
    """Every effect type with its parameters (JSON schema: default, minimum, maximum)."""
    return answer(get_studio().effects.types())


@bp.post("/effect")
@operation(
    "Add an effect, or change the one of that type in place",
    body=EffectIn,
    ok=EffectChainOut,
    tags=TAGS,
)
def set_effect(body: EffectIn) -> ResponseReturnValue:
    chain = get_studio().effects
    return answer(chain.answer(chain.set_effect(body.type, dict(body.params), body.bypass)))


@bp.post("/chain")
@operation(
    "Replace the whole chain (a bad entry changes nothing)",
    body=ChainIn,
    ok=EffectChainOut,
    tags=TAGS,
)
def set_chain(body: ChainIn) -> ResponseReturnValue:
    chain = get_studio().effects
    return answer(chain.answer(chain.set_chain([effect.spec() for effect in body.effects])))


@bp.delete("/effect/<effect_type>")
@operation(
    "Take an effect out of the chain",
    ok=EffectChainOut,
    tags=TAGS,
    path_params={"effect_type": {"maxLength": 64}},
)
def remove_effect(effect_type: str) -> ResponseReturnValue:
    chain = get_studio().effects
    return answer(chain.answer(chain.remove(effect_type)))
