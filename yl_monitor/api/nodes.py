"""Nodes: register, heartbeat, list, detail, history, pause and resume."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from shared.api import ApiError, answer
from shared.openapi import operation
from shared.wire.monitor import (
    HeartbeatOut,
    HistoryOut,
    NodeDetailOut,
    NodeListOut,
    RegisterOut,
)
from yl_monitor.api import get_monitor
from yl_monitor.models import NODE_ID_PATTERN, HeartbeatIn, PauseIn, RegisterIn, valid_node_id
from yl_monitor.queries import HistoryQuery

bp = Blueprint("nodes", __name__, url_prefix="/api/ar/nodes")
TAGS = ("nodes",)
NODE_ID = {"node_id": {"pattern": NODE_ID_PATTERN}}


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
@operation("Register a node (again: updates it)", body=RegisterIn, ok=RegisterOut, tags=TAGS)
def register(body: RegisterIn) -> ResponseReturnValue:
    return answer(get_monitor().register(body))


@bp.post("/<node_id>/heartbeat")
@operation(
    "Send a heartbeat; answered once it is committed",
    body=HeartbeatIn,
    pass_raw=True,
    ok=HeartbeatOut,
    errors=(503,),
    tags=TAGS,
    path_params=NODE_ID,
    description="An unknown node is registered by its first beat. Sections the monitor does "
    "not model are stored as sent. A 503 means the beat was not stored: retry it.",
)
def heartbeat(node_id: str, body: HeartbeatIn, raw: dict[str, Any]) -> ResponseReturnValue:
    _checked_id(node_id)
    if body.node_id is not None and body.node_id != node_id:
        raise ApiError(400, "node_id in the body differs from the one in the path", "node_id")
    text = request.get_data(as_text=True)
    key = request.headers.get("Idempotency-Key")
    return answer(get_monitor().heartbeat(node_id, body, raw, text, idempotency_key=key))


@bp.get("")
@operation("List nodes with their states", ok=NodeListOut, tags=TAGS)
def list_nodes() -> ResponseReturnValue:
    return answer(get_monitor().nodes())


@bp.get("/<node_id>")
@operation(
    "A node: state, last payload, state events, open alerts",
    ok=NodeDetailOut,
    tags=TAGS,
    path_params=NODE_ID,
)
def node_detail(node_id: str) -> ResponseReturnValue:
    return answer(get_monitor().node(_checked_id(node_id)))


@bp.get("/<node_id>/history")
@operation(
    "Recent beats, oldest first (for charts)",
    query=HistoryQuery,
    ok=HistoryOut,
    tags=TAGS,
    path_params=NODE_ID,
)
def history(node_id: str, query: HistoryQuery) -> ResponseReturnValue:
    _checked_id(node_id)
    return answer(get_monitor().history(node_id, query.limit, query.since_ts()))


@bp.post("/<node_id>/pause")
@operation(
    "Pause a node: it raises no alerts",
    body=PauseIn,
    body_required=False,
    ok=NodeDetailOut,
    errors=(503,),
    tags=TAGS,
    path_params=NODE_ID,
)
def pause(node_id: str, body: PauseIn) -> ResponseReturnValue:
    _checked_id(node_id)
    return answer(get_monitor().set_paused(node_id, body.paused, body.reason))


@bp.post("/<node_id>/resume")
@operation("Resume a paused node", ok=NodeDetailOut, errors=(503,), tags=TAGS, path_params=NODE_ID)
def resume(node_id: str) -> ResponseReturnValue:
    return answer(get_monitor().set_paused(_checked_id(node_id), False, None))
