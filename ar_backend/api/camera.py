"""Camera control: start, stop, status, devices (both /camera/... and /api/camera/...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio
from ar_backend.models import CameraStartIn
from shared.openapi import operation
from shared.wire.backend import (
    CameraDeviceListOut,
    CameraStartOut,
    CameraStatus,
    CameraStopOut,
)

bp = Blueprint("camera", __name__)
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def _both(rule: str, **kw: Any) -> Callable[[View], View]:
    def deco(fn: View) -> View:
        bp.add_url_rule(rule, fn.__name__, fn, **kw)
        bp.add_url_rule("/api" + rule, "api_" + fn.__name__, fn, **kw)
        return fn

    return deco


TAGS = ("camera",)


@_both("/camera/start", methods=["POST"])
@operation(
    "Start the camera (an empty body: the configured source)",
    body=CameraStartIn,
    body_required=False,
    ok=CameraStartOut,
    errors=(503,),
    tags=TAGS,
    description="A network URL answers at once with state 'connecting'; /camera/status "
    "follows it. Files must lie in media.folders (403 otherwise).",
)
def camera_start(body: CameraStartIn) -> ResponseReturnValue:
    return jsonify(get_studio().camera_start(body.spec()))


@_both("/camera/stop", methods=["POST"])
@operation("Stop the camera (stopping when stopped is fine)", ok=CameraStopOut, tags=TAGS)
def camera_stop() -> ResponseReturnValue:
    return jsonify(get_studio().camera_stop())


@_both("/camera/status", methods=["GET"])
@operation("State, source, fps, dropped frames, latency", ok=CameraStatus, tags=TAGS)
def camera_status() -> ResponseReturnValue:
    return jsonify(get_studio().camera_status())


@_both("/camera/devices", methods=["GET"])
@operation("Camera devices that open", ok=CameraDeviceListOut, tags=TAGS)
def camera_devices() -> ResponseReturnValue:
    devices = get_studio().devices()
    return jsonify(devices=devices, count=len(devices))
