"""HTTP clients for ar_backend and yl_monitor (docs/contracts.md), on shared.http's client base.

Every answer is validated with its model from :mod:`shared.wire` (the models the services'
OpenAPI documents declare) and returned typed. An answer that does not fit its model raises
:class:`UnexpectedAnswer`, an HttpError, so a caller shows it like any other failure.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from shared.http import HttpClient, HttpError
from shared.wire import backend as bw
from shared.wire import monitor as mw

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class ServiceStatus(StrEnum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    OFFLINE = "offline"


class BackendError(HttpError):
    """An HttpError that keeps the backend's JSON error answer: ``field`` names the input at
    fault and ``details`` holds the rest (e.g. ``faces`` when a picture has several)."""

    def __init__(self, message: str, status: int | None, body: dict[str, Any]) -> None:
        super().__init__(message, status)
        self.field: str | None = body.get("field")
        self.details = {
            k: v for k, v in body.items() if k not in ("error", "message", "code", "field")
        }


class UnexpectedAnswer(HttpError):
    """The service answered, but not in the shape its contract (``shared.wire``) declares."""


def shape_problem(exc: ValidationError) -> str:
    """``field.path: message`` for the first problem (and how many more there are)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "(the whole answer)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


class APIClient(HttpClient):
    """Base of both clients: health with latency and a status-change callback.

    ``health_check()`` never raises: it returns True or False and updates ``status``,
    ``version``, ``latency_ms`` and ``last_error``; ``on_status_change(old, new)`` is called
    when the status changes (from the calling thread: a GUI forwards it as a signal).
    """

    health_path = "/health"
    health_model: type[bw.HealthOut] | type[mw.HealthOut] = bw.HealthOut
    peer = "the service"  # in messages: "the backend answered an unexpected shape: ..."

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        retries: int = 1,
        api_key: str | None = None,
        on_status_change: Callable[[ServiceStatus, ServiceStatus], None] | None = None,
    ) -> None:
        super().__init__(base_url, timeout=timeout, retries=retries, backoff=0.2, api_key=api_key)
        self.on_status_change = on_status_change
        self.status = ServiceStatus.UNKNOWN
        self.version: str | None = None
        self.latency_ms: float | None = None
        self.last_error: str | None = None
        self.last_check: float | None = None
        self._lock = threading.Lock()

    def _set_status(self, new: ServiceStatus) -> None:
        with self._lock:
            old, self.status = self.status, new
        if old != new and self.on_status_change is not None:
            self.on_status_change(old, new)

    def _typed(self, model: type[M], resp: requests.Response) -> M:
        """The answer's JSON as ``model``; UnexpectedAnswer names the field that does not fit."""
        body = self._json(resp)
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            method = resp.request.method if resp.request is not None else "?"
            path = resp.request.path_url if resp.request is not None else resp.url
            raise UnexpectedAnswer(
                f"{self.peer} answered an unexpected shape: {shape_problem(exc)} ({method} {path})",
                resp.status_code,
            ) from None

    def get_model(self, model: type[M], path: str, **kwargs: Any) -> M:
        return self._typed(model, self.request("GET", path, **kwargs))

    def post_model(self, model: type[M], path: str, payload: Any = None, **kwargs: Any) -> M:
        return self._typed(model, self.request("POST", path, json=payload, **kwargs))

    def health_check(self) -> bool:
        started = time.perf_counter()
        try:
            body = self.get_model(self.health_model, self.health_path)
        except HttpError as exc:  # UnexpectedAnswer too: it answered, but not as it should
            self.last_error = str(exc)
            self.latency_ms = None
            self._set_status(
                ServiceStatus.OFFLINE if exc.status is None else ServiceStatus.UNHEALTHY
            )
            return False
        finally:
            self.last_check = time.time()
        self.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        self.version = body.version
        healthy = body.status == "healthy"
        reason = getattr(body, "reason", None)  # the monitor says why it is degraded
        self.last_error = (
            None if healthy else f"{self.peer} is {body.status}" + (f": {reason}" if reason else "")
        )
        self._set_status(ServiceStatus.HEALTHY if healthy else ServiceStatus.UNHEALTHY)
        return healthy

    @property
    def is_available(self) -> bool:
        return self.status == ServiceStatus.HEALTHY

    def info(self) -> dict[str, Any]:
        return {
            "url": self.base_url,
            "status": self.status.value,
            "version": self.version,
            "latency_ms": self.latency_ms,
            "last_error": self.last_error,
            "last_check": self.last_check,
        }


class ARBackendClient(APIClient):
    """Every backend endpoint the window uses, each answer typed (``shared.wire.backend``);
    each raises HttpError with the reason.

    The face calls raise BackendError (an HttpError) so a caller can read the answer's
    ``field`` and details; loading a face or an engine takes seconds, hence ``slow_timeout``.
    """

    slow_timeout = 60.0
    health_model = bw.HealthOut
    peer = "the backend"

    def get_status(self) -> bw.StatusOut:
        return self.get_model(bw.StatusOut, "/status")

    def get_metrics(self) -> bw.MetricsOut:
        return self.get_model(bw.MetricsOut, "/metrics")

    def camera_devices(self) -> list[int]:
        return self.get_model(bw.CameraDeviceListOut, "/camera/devices").devices

    def start_camera(
        self, device_id: int | None = None, source: str | None = None
    ) -> bw.CameraStartOut:
        body: dict[str, Any] = {}
        if device_id is not None:
            body["device_id"] = device_id
        if source is not None:
            body["source"] = source
        return self.post_model(bw.CameraStartOut, "/api/camera/start", body)

    def stop_camera(self) -> bw.CameraStopOut:
        return self.post_model(bw.CameraStopOut, "/api/camera/stop", {})

    def camera_status(self) -> bw.CameraStatus:
        return self.get_model(bw.CameraStatus, "/api/camera/status")

    def start_recording(self, file_name: str | None = None) -> bw.RecordingStatus:
        body = {"file_name": file_name} if file_name else {}
        return self.post_model(bw.RecordingStatus, "/record/start", body)

    def stop_recording(self) -> bw.RecordingStatus:
        return self.post_model(bw.RecordingStatus, "/record/stop", {})

    def start_audio(self) -> bw.AudioStatus:
        return self.post_model(bw.AudioStatus, "/audio/start", {})

    def stop_audio(self) -> bw.AudioStatus:
        return self.post_model(bw.AudioStatus, "/audio/stop", {})

    def set_audio_effect(self, effect_type: str, params: dict[str, Any]) -> bw.EffectChainOut:
        body = {"type": effect_type, "params": params}
        return self.post_model(bw.EffectChainOut, "/audio/effect", body)

    def audio_status(self) -> bw.AudioStatus:
        return self.get_model(bw.AudioStatus, "/audio/status")

    def audio_effect_types(self) -> dict[str, dict[str, bw.EffectParam]]:
        """Per effect type, its parameters with their default and range."""
        return self.get_model(bw.EffectTypesOut, "/audio/effects").effects

    def load_face_model(self, model_path: str) -> bw.FaceLoadOut:
        return self._face_call(
            bw.FaceLoadOut,
            "POST",
            "/face/load",
            json={"model_path": model_path},
            timeout=max(self.timeout, self.slow_timeout),
        )

    def start_face_swap(self) -> bw.FaceStatus:
        return self._face_call(bw.FaceStatus, "POST", "/face/start", json={})

    def stop_face_swap(self) -> bw.FaceStatus:
        return self._face_call(bw.FaceStatus, "POST", "/face/stop", json={})

    def upload_face(self, path: str | Path, face_index: int | None = None) -> bw.FaceLoadOut:
        """Send a picture as the source face (read here: call it off the GUI thread).

        Several faces and no ``face_index``: BackendError with field ``face_index`` and
        ``details["faces"]`` [{index, x, y, width, height}], index 0 the leftmost."""
        path = Path(path)
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        form = {} if face_index is None else {"face_index": str(face_index)}
        return self._face_call(
            bw.FaceLoadOut,
            "POST",
            "/face/load",
            files={"image": (path.name, data, mime)},
            data=form,
            timeout=max(self.timeout, self.slow_timeout),
        )

    def face_status(self) -> bw.FaceStatusOut:
        return self._face_call(bw.FaceStatusOut, "GET", "/face/status")

    def face_engines(self) -> bw.EnginesOut:
        """Each engine (name, description, available, reason, active) and the active one."""
        return self._face_call(bw.EnginesOut, "GET", "/face/engines")

    def face_settings(self, **changes: Any) -> bw.FaceStatus:
        """Any of engine, many_faces, mouth_mask, blend, detect_every, detect_size, smoothing,
        shape_strength; a refused change changes nothing (an unavailable engine: 503)."""
        slow = "engine" in changes  # a new engine loads its models and re-reads the face
        timeout = max(self.timeout, self.slow_timeout) if slow else self.timeout
        return self._face_call(
            bw.FaceStatus, "POST", "/face/settings", json=changes, timeout=timeout
        )

    def _face_call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """A request whose error answer is kept: BackendError carries its field and details."""
        answers: list[requests.Response] = []
        kwargs["hooks"] = {"response": lambda resp, *_a, **_k: answers.append(resp)}
        try:
            resp = self.request(method, path, **kwargs)
        except HttpError as exc:
            if exc.status is None or not answers:
                raise
            try:
                body = answers[-1].json()
            except ValueError:
                raise exc from None
            if not isinstance(body, dict):
                raise
            raise BackendError(str(exc), exc.status, body) from None
        return self._typed(model, resp)

    def report_status(self, status: dict[str, Any]) -> bw.ReportOut:
        return self.post_model(bw.ReportOut, "/monitor/report", status)

    @property
    def video_feed_url(self) -> str:
        return self.base_url + "/video_feed"


class MonitorClient(APIClient):
    """What the window reads from the monitor, typed (``shared.wire.monitor``)."""

    health_path = "/api/health"
    health_model = mw.HealthOut
    peer = "the monitor"

    def nodes(self) -> list[mw.NodeView]:
        return self.get_model(mw.NodeListOut, "/api/ar/nodes").nodes

    def node(self, node_id: str) -> mw.NodeDetailOut:
        return self.get_model(mw.NodeDetailOut, f"/api/ar/nodes/{node_id}")

    def alerts(self) -> list[mw.AlertView]:
        return self.get_model(mw.AlertListOut, "/api/alerts").alerts

    def acknowledge_alert(
        self, alert_id: int, by: str, reason: str | None = None
    ) -> mw.AcknowledgeOut:
        body: dict[str, Any] = {"by": by}
        if reason:
            body["reason"] = reason
        return self.post_model(mw.AcknowledgeOut, f"/api/alerts/{alert_id}/acknowledge", body)
