"""Nodes: register, heartbeat, list, detail, history, pause and resume."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from shared.api import ApiError, parse_body, parse_body_raw
from shared.timeutil import parse_timestamp, utc_now_iso
from yl_monitor.api import get_monitor
from yl_monitor.models import HeartbeatIn, PauseIn, RegisterIn, valid_node_id

bp = Blueprint("nodes", __name__, url_prefix="/api/ar/nodes")


def _checked_id(node_id: str) -> str:
    if not valid_node_id(node_id):
        raise ApiError(
            400,
            "node_id must be 1-64 characters of letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit",
            "node_id",
        )
    return node_id


@bp.post("/register")
def register():  # type: ignore[no-untyped-def]
    body = parse_body(RegisterIn)
    node, created = get_monitor().register(body)
    return jsonify(status="registered" if created else "updated", node=node), 200


@bp.post("/<node_id>/heartbeat")
def heartbeat(node_id: str):  # type: ignore[no-untyped-def]
    _checked_id(node_id)
    body, raw = parse_body_raw(HeartbeatIn)
    if body.node_id is not None and body.node_id != node_id:
        raise ApiError(400, "node_id in the body differs from the one in the path", "node_id")
    text = request.get_data(as_text=True)
    key = request.headers.get("Idempotency-Key")
    return jsonify(get_monitor().heartbeat(node_id, body, raw, text, idempotency_key=key))


@bp.get("")
def list_nodes():  # type: ignore[no-untyped-def]
    nodes = get_monitor().nodes()
    summary: dict[str, int] = {}
    for node in nodes:
        summary[node["state"]] = summary.get(node["state"], 0) + 1
    return jsonify(nodes=nodes, count=len(nodes), summary=summary, timestamp=utc_now_iso())


@bp.get("/<node_id>")
def node_detail(node_id: str):  # type: ignore[no-untyped-def]
    return jsonify(get_monitor().node(_checked_id(node_id)))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer", name) from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}", name)
    return value


@bp.get("/<node_id>/history")
def history(node_id: str):  # type: ignore[no-untyped-def]
    _checked_id(node_id)
    limit = _int_arg("limit", 120, 1, 5000)
    since = None
    if "since" in request.args:
        try:
            since = parse_timestamp(request.args["since"])
        except ValueError:
            try:
                since = float(request.args["since"])
            except ValueError:
                raise ApiError(400, "since must be ISO-8601 or epoch seconds", "since") from None
    beats = get_monitor().history(node_id, limit, since)
    return jsonify(node_id=node_id, beats=beats, count=len(beats))


@bp.post("/<node_id>/pause")
def pause(node_id: str):  # type: ignore[no-untyped-def]
    _checked_id(node_id)
    body = parse_body(PauseIn, required=False)
    return jsonify(get_monitor().set_paused(node_id, body.paused, body.reason))


@bp.post("/<node_id>/resume")
def resume(node_id: str):  # type: ignore[no-untyped-def]
    return jsonify(get_monitor().set_paused(_checked_id(node_id), False, None))
