"""Camera control: start, stop, status, devices (both /camera/... and /api/camera/...)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ar_backend.api import get_studio
from ar_backend.models import CameraStartIn
from shared.api import parse_body

bp = Blueprint("camera", __name__)


def _both(rule: str, **kw):  # type: ignore[no-untyped-def]
    def deco(fn):  # type: ignore[no-untyped-def]
        bp.add_url_rule(rule, fn.__name__, fn, **kw)
        bp.add_url_rule("/api" + rule, "api_" + fn.__name__, fn, **kw)
        return fn

    return deco


@_both("/camera/start", methods=["POST"])
def camera_start():  # type: ignore[no-untyped-def]
    body = parse_body(CameraStartIn, required=False)
    return jsonify(get_studio().camera_start(body.spec()))


@_both("/camera/stop", methods=["POST"])
def camera_stop():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().camera_stop())


@_both("/camera/status", methods=["GET"])
def camera_status():  # type: ignore[no-untyped-def]
    return jsonify(get_studio().camera_status())


@_both("/camera/devices", methods=["GET"])
def camera_devices():  # type: ignore[no-untyped-def]
    devices = get_studio().devices()
    return jsonify(devices=devices, count=len(devices))
