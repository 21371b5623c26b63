"""The backend's HTTP layer: blueprints that parse, call the Studio, and answer."""

from __future__ import annotations

from flask import current_app

from ar_backend.studio import Studio


def get_studio() -> Studio:
    return current_app.extensions["ar_backend"]
