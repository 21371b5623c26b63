"""Alerts: list and acknowledge."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from shared.api import answer
from shared.openapi import operation
from shared.wire.monitor import AcknowledgeOut, AlertListOut
from yl_monitor.api import get_monitor
from yl_monitor.models import AcknowledgeIn
from yl_monitor.queries import AlertsQuery

bp = Blueprint("alerts", __name__, url_prefix="/api/alerts")
TAGS = ("alerts",)


@bp.get("")
@operation("List alerts", query=AlertsQuery, ok=AlertListOut, tags=TAGS)
def list_alerts(query: AlertsQuery) -> ResponseReturnValue:
    return answer(get_monitor().alerts(query.status, query.node_id, query.limit))


@bp.post("/<int:alert_id>/acknowledge")
@operation(
    "Acknowledge an alert (idempotent)",
    body=AcknowledgeIn,
    body_required=False,
    ok=AcknowledgeOut,
    errors=(409, 503),
    tags=TAGS,
)
def acknowledge(alert_id: int, body: AcknowledgeIn) -> ResponseReturnValue:
    return answer(get_monitor().acknowledge(alert_id, body))
