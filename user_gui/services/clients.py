"""HTTP clients for ar_backend and yl_monitor (seed 002), on shared.http's client base."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from shared.http import HttpClient, HttpError

log = logging.getLogger(__name__)


class ServiceStatus(StrEnum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    OFFLINE = "offline"


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
    """Every backend endpoint the window uses; each raises HttpError with the reason."""

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
