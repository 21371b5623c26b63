"""HTTP clients for ar_backend and yl_monitor (docs/contracts.md), on shared.http's client base."""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import requests

from shared.http import HttpClient, HttpError

log = logging.getLogger(__name__)


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


class APIClient(HttpClient):
    """Base of both clients: health with latency and a status-change callback.

    ``health_check()`` never raises: it returns True or False and updates ``status``,
    ``version``, ``latency_ms`` and ``last_error``; ``on_status_change(old, new)`` is called
    when the status changes (from the calling thread: a GUI forwards it as a signal).
    """

    health_path = "/health"

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

    def health_check(self) -> bool:
        started = time.perf_counter()
        try:
            body = self.get_json(self.health_path)
        except HttpError as exc:
            self.last_error = str(exc)
            self.latency_ms = None
            self._set_status(
                ServiceStatus.OFFLINE if exc.status is None else ServiceStatus.UNHEALTHY
            )
            return False
        finally:
            self.last_check = time.time()
        self.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        self.version = body.get("version") if isinstance(body, dict) else None
        healthy = isinstance(body, dict) and body.get("status") == "healthy"
        self.last_error = None if healthy else f"unexpected health answer: {str(body)[:100]}"
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
    """Every backend endpoint the window uses; each raises HttpError with the reason.

    The face calls raise BackendError (an HttpError) so a caller can read the answer's
    ``field`` and details; loading a face or an engine takes seconds, hence ``slow_timeout``.
    """

    slow_timeout = 60.0

    def get_status(self) -> dict[str, Any]:
        return self.get_json("/status")

    def get_metrics(self) -> dict[str, Any]:
        return self.get_json("/metrics")

    def camera_devices(self) -> list[int]:
        return list(self.get_json("/camera/devices")["devices"])

    def start_camera(self, device_id: int | None = None, source: str | None = None) -> dict:
        body: dict[str, Any] = {}
        if device_id is not None:
            body["device_id"] = device_id
        if source is not None:
            body["source"] = source
        return self.post_json("/api/camera/start", body)

    def stop_camera(self) -> dict[str, Any]:
        return self.post_json("/api/camera/stop", {})

    def camera_status(self) -> dict[str, Any]:
        return self.get_json("/api/camera/status")

    def start_recording(self, file_name: str | None = None) -> dict[str, Any]:
        return self.post_json("/record/start", {"file_name": file_name} if file_name else {})

    def stop_recording(self) -> dict[str, Any]:
        return self.post_json("/record/stop", {})

    def start_audio(self) -> dict[str, Any]:
        return self.post_json("/audio/start", {})

    def stop_audio(self) -> dict[str, Any]:
        return self.post_json("/audio/stop", {})

    def set_audio_effect(self, effect_type: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.post_json("/audio/effect", {"type": effect_type, "params": params})

    def audio_status(self) -> dict[str, Any]:
        return self.get_json("/audio/status")

    def audio_effect_types(self) -> dict[str, dict[str, Any]]:
        return dict(self.get_json("/audio/effects")["effects"])

    def load_face_model(self, model_path: str) -> dict[str, Any]:
        return self.post_json("/face/load", {"model_path": model_path})

    def start_face_swap(self) -> dict[str, Any]:
        return self.post_json("/face/start", {})

    def stop_face_swap(self) -> dict[str, Any]:
        return self.post_json("/face/stop", {})

    def upload_face(self, path: str | Path, face_index: int | None = None) -> dict[str, Any]:
        """Send a picture as the source face (read here: call it off the GUI thread).

        Several faces and no ``face_index``: BackendError with field ``face_index`` and
        ``details["faces"]`` [{index, x, y, width, height}], index 0 the leftmost."""
        path = Path(path)
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        form = {} if face_index is None else {"face_index": str(face_index)}
        return self._face_call(
            "POST",
            "/face/load",
            files={"image": (path.name, data, mime)},
            data=form,
            timeout=max(self.timeout, self.slow_timeout),
        )

    def face_status(self) -> dict[str, Any]:
        return self._face_call("GET", "/face/status")

    def face_engines(self) -> dict[str, Any]:
        """``{"engines": [{name, description, available, reason, active, loaded}], "active"}``"""
        return self._face_call("GET", "/face/engines")

    def face_settings(self, **changes: Any) -> dict[str, Any]:
        """Any of engine, many_faces, mouth_mask, blend, detect_every, detect_size, smoothing,
        shape_strength; a refused change changes nothing (an unavailable engine: 503)."""
        slow = "engine" in changes  # a new engine loads its models and re-reads the face
        timeout = max(self.timeout, self.slow_timeout) if slow else self.timeout
        return self._face_call("POST", "/face/settings", json=changes, timeout=timeout)

    def _face_call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request whose error answer is kept: BackendError carries its field and details."""
        answers: list[requests.Response] = []
        kwargs["hooks"] = {"response": lambda resp, *_a, **_k: answers.append(resp)}
        try:
            return self._json(self.request(method, path, **kwargs))
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

    def report_status(self, status: dict[str, Any]) -> dict[str, Any]:
        return self.post_json("/monitor/report", status)

    @property
    def video_feed_url(self) -> str:
        return self.base_url + "/video_feed"


class MonitorClient(APIClient):
    health_path = "/api/health"

    def nodes(self) -> list[dict[str, Any]]:
        return list(self.get_json("/api/ar/nodes")["nodes"])

    def node(self, node_id: str) -> dict[str, Any]:
        return self.get_json(f"/api/ar/nodes/{node_id}")

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.get_json("/api/alerts")["alerts"])

    def acknowledge_alert(self, alert_id: int, by: str, reason: str | None = None) -> dict:
        body: dict[str, Any] = {"by": by}
        if reason:
            body["reason"] = reason
        return self.post_json(f"/api/alerts/{alert_id}/acknowledge", body)
