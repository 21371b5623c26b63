"""GET /api/health and GET /api/status."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from shared.api import answer
from shared.openapi import operation
from shared.wire.monitor import HealthOut, StatusOut
from yl_monitor.api import get_monitor

bp = Blueprint("health", __name__)


@bp.get("/api/health")
@operation("Liveness (no key needed)", ok=HealthOut, tags=("health",))
def health() -> ResponseReturnValue:
    return answer(get_monitor().health())


@bp.get("/api/status")
@operation("Node counts, open alerts, ingest counters, faults", ok=StatusOut, tags=("health",))
def status() -> ResponseReturnValue:
    return answer(get_monitor().status())
