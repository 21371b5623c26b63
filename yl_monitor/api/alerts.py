"""Alerts: list and acknowledge."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from shared.api import ApiError, parse_body
from yl_monitor.api import get_monitor
from yl_monitor.models import AcknowledgeIn, valid_node_id

bp = Blueprint("alerts", __name__, url_prefix="/api/alerts")

STATUSES = ("open", "firing", "acknowledged", "resolved", "all")


@bp.get("")
def list_alerts():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}", "status")
    node_id = request.args.get("node_id")
    if node_id is not None and not valid_node_id(node_id):
        raise ApiError(400, "node_id is not a valid node id", "node_id")
    try:
        limit = int(request.args.get("limit", "200"))
    except ValueError:
        raise ApiError(400, "limit must be an integer", "limit") from None
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be between 1 and 1000", "limit")
    alerts = get_monitor().alerts(status, node_id, limit)
    return jsonify(alerts=alerts, count=len(alerts))


@bp.post("/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int):  # type: ignore[no-untyped-def]
    body = parse_body(AcknowledgeIn, required=False)
    return jsonify(status="acknowledged", alert=get_monitor().acknowledge(alert_id, body))
