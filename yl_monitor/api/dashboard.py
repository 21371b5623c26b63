"""The dashboard page at / (its data comes from the JSON API)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from shared.openapi import operation
from yl_monitor import __version__
from yl_monitor.api import get_monitor

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@operation("The dashboard page", ok_media="text/html", tags=("dashboard",))
def index() -> ResponseReturnValue:
    mon = get_monitor()
    return render_template(
        "dashboard.html",
        version=__version__,
        needs_key=mon.config.security.api_key_enabled,
        refresh_ms=2000,
    )
