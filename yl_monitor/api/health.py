"""GET /api/health and GET /api/status."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from shared.openapi import operation
from shared.timeutil import utc_now_iso
from shared.wire.monitor import HealthOut, StatusOut
from yl_monitor import SERVICE_NAME, __version__
from yl_monitor.api import get_monitor

bp = Blueprint("health", __name__)


@bp.get("/api/health")
@operation("Liveness (no key needed)", ok=HealthOut, tags=("health",))
def health() -> ResponseReturnValue:
    return jsonify(
        **get_monitor().health(),
        service=SERVICE_NAME,
        version=__version__,
        timestamp=utc_now_iso(),
    )


@bp.get("/api/status")
@operation("Node counts, open alerts, ingest counters, faults", ok=StatusOut, tags=("health",))
def status() -> ResponseReturnValue:
    mon = get_monitor()
    summary = mon.summary()
    faults = [f for f in (summary["storage"]["fault"], summary["evaluator"]["fault"]) if f]
    return jsonify(
        service=SERVICE_NAME,
        status="degraded" if faults else "healthy",
        faults=faults,
        timestamp=utc_now_iso(),
        **summary,
    )
