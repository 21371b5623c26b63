"""The preview stream, snapshots, recording, the virtual camera, and the GUI's reports."""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ar_backend.api import get_studio
from ar_backend.models import MonitorReportIn, PreviewQuery, RecordStartIn
from ar_backend.outputs.jpeg import BOUNDARY
from shared.api import ApiError, answer
from shared.openapi import operation
from shared.timeutil import utc_now_iso
from shared.wire.backend import OutputsStatus, RecordingStatus, ReportOut, VirtualCameraStatus

TAGS = ("outputs",)

bp = Blueprint("outputs", __name__)


def _disconnector(environ: dict[str, Any]) -> Callable[[], None] | None:
    """How to drop this client's connection under waitress (None elsewhere): shut its socket
    down, so waitress's loop closes the channel and wakes the thread blocked writing to it."""
    channel = getattr(environ.get("waitress.client_disconnected"), "__self__", None)
    sock = getattr(channel, "socket", None)
    if not isinstance(sock, socket.socket):
        return None

    def disconnect() -> None:
        with contextlib.suppress(OSError):
            # reset, not a FIN queued behind the frames the client never took
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)

    return disconnect


@bp.get("/video_feed")
@operation(
    "The live preview (MJPEG), at ?width= px when asked; 503 past outputs.max_viewers",
    query=PreviewQuery,
    ok_media=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
    errors=(503,),
    tags=TAGS,
)
def video_feed(query: PreviewQuery) -> ResponseReturnValue:
    # at the cap: 503
    stream, end = get_studio().preview(_disconnector(request.environ), query.width)
    resp = Response(stream, mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}")
    resp.call_on_close(end)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/snapshot.jpg")
@operation(
    "The newest output frame (at ?width= px when asked)",
    query=PreviewQuery,
    ok_media="image/jpeg",
    errors=(503,),
    tags=TAGS,
)
def snapshot(query: PreviewQuery) -> ResponseReturnValue:
    jpeg = get_studio().snapshot(query.width)
    if jpeg is None:
        raise ApiError(503, "no frame yet: start the camera (POST /camera/start)")
    return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/outputs")
@operation(
    "The outputs: preview stream, virtual camera, recording (as /status outputs)",
    ok=OutputsStatus,
    tags=TAGS,
)
def outputs() -> ResponseReturnValue:
    return answer(get_studio().outputs_status())


@bp.post("/record/start")
@operation(
    "Record the output to outputs.recordings_dir",
    body=RecordStartIn,
    body_required=False,
    ok=RecordingStatus,
    errors=(409, 503),
    tags=TAGS,
)
def record_start(body: RecordStartIn) -> ResponseReturnValue:
    return answer(get_studio().record_start(body.file_name))


@bp.post("/record/stop")
@operation(
    "Stop recording and finalise the file",
    ok=RecordingStatus,
    tags=TAGS,
    description="Answers the finished file (file, path, seconds, frames) and last_file, "
    "last_path; with none under way, the last file only.",
)
def record_stop() -> ResponseReturnValue:
    return answer(get_studio().record_stop())


@bp.post("/virtual_camera/start")
@operation(
    "Send the output to the virtual camera (503 names the set-up script when absent)",
    ok=VirtualCameraStatus,
    errors=(409, 503),
    tags=TAGS,
    description="The 503 carries `setup_command`, the command line that makes the device "
    "(Linux), as GET /outputs does afterwards.",
)
def vcam_start() -> ResponseReturnValue:
    return answer(get_studio().vcam_start())


@bp.post("/virtual_camera/stop")
@operation("Stop the virtual camera", ok=VirtualCameraStatus, tags=TAGS)
def vcam_stop() -> ResponseReturnValue:
    return answer(get_studio().vcam_stop())


@bp.post("/monitor/report")
@operation(
    "The window reports its state (shown in /status)", body=MonitorReportIn, ok=ReportOut, tags=TAGS
)
def monitor_report(body: MonitorReportIn) -> ResponseReturnValue:
    get_studio().record_gui_report(body.payload())
    return answer(ReportOut(status="ok", received_at=utc_now_iso()))
