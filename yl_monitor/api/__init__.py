"""The monitor's HTTP layer: blueprints that parse, call the Monitor, and answer."""

from __future__ import annotations

from flask import current_app

from yl_monitor.monitor import Monitor


def get_monitor() -> Monitor:
    return current_app.extensions["yl_monitor"]
