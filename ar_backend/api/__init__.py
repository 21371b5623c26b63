"""The backend's HTTP layer: blueprints that parse, call the Studio, and answer."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ar_backend.studio import Studio


def get_studio() -> Studio:
    return current_app.extensions["ar_backend"]


def holds_face_changes(bp: Blueprint) -> None:
    """Every call of ``bp`` that changes something (not GET, HEAD, OPTIONS) first waits for
    the face state saved before a restart to be applied (``Studio.face_settled``): a change
    the person makes right after a start then lands on top of the restore, never under it."""

    @bp.before_request
    def _face_settled() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            get_studio().face_settled()
