"""Audio: start, stop, status, devices, effect types and the chain (/audio/*, docs/contracts.md)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ar_backend.api import get_studio
from shared.api import ApiError, json_body

bp = Blueprint("audio", __name__, url_prefix="/audio")


@bp.post("/start")
def start():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().audio.start())


@bp.post("/stop")
def stop():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().audio.stop())


@bp.get("/status")
def status():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().audio.status())


@bp.get("/devices")
def devices():  # type: ignore[no-untyped-def]
    found = get_studio().audio.devices()
    return jsonify(devices=found, count=len(found))


def _object_body() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object", "body")
    return body


@bp.get("/effects")
def effect_types():  # type: ignore[no-untyped-def]
    """Every effect type with its parameters (JSON schema: default, minimum, maximum)."""
    from ar_backend.audio.effects import REGISTRY

    return jsonify(
        effects={
            name: {
                key: {
                    k: v
                    for k, v in spec.items()
                    if k
                    in (
                        "default",
                        "minimum",
                        "maximum",
                        "exclusiveMinimum",
                        "exclusiveMaximum",
                        "description",
                    )
                }
                for key, spec in cls.Params.model_json_schema()["properties"].items()
            }
            for name, cls in sorted(REGISTRY.items())
        }
    )


@bp.post("/effect")
def set_effect():  # type: ignore[no-untyped-def]
    """``{"type": "pitch", "params": {"semitones": 5}, "bypass": false}``: add or change."""
    body = _object_body()
    unknown = set(body) - {"type", "params", "bypass"}
    if unknown:
        raise ApiError(400, f"unknown field {sorted(unknown)[0]!r}", sorted(unknown)[0])
    chain = get_studio().audio.chain
    if not isinstance(body.get("type"), str):
        raise ApiError(400, "type is required (an effect type)", "type")
    if not isinstance(body.get("params", {}), dict):
        raise ApiError(400, "params must be an object", "params")
    if not isinstance(body.get("bypass", False), bool):
        raise ApiError(400, "bypass must be true or false", "bypass")
    effects = chain.set_effect(body["type"], body.get("params") or {}, body.get("bypass", False))
    return jsonify(effects=effects, latency_ms=chain.latency_ms)


@bp.post("/chain")
def set_chain():  # type: ignore[no-untyped-def]
    """``{"effects": [{"type": ..., "params": {...}}, ...]}``: the whole chain at once."""
    body = _object_body()
    effects = body.get("effects")
    if not isinstance(effects, list):
        raise ApiError(400, "effects must be a list", "effects")
    chain = get_studio().audio.chain
    return jsonify(effects=chain.set_chain(effects), latency_ms=chain.latency_ms)


@bp.delete("/effect/<effect_type>")
def remove_effect(effect_type: str):  # type: ignore[no-untyped-def]
    chain = get_studio().audio.chain
    return jsonify(effects=chain.remove(effect_type), latency_ms=chain.latency_ms)
