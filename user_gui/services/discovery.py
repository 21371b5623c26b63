"""ServiceDiscovery: the services of config/services.yaml, each health endpoint checked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.config import ServiceEntry, ServicesFile
from shared.http import HttpClient, HttpError


@dataclass
class DiscoveredService:
    key: str
    name: str
    url: str
    healthy: bool
    latency_ms: float | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ServiceDiscovery:
    def __init__(self, services: ServicesFile) -> None:
        self.services = services

    def _check(self, key: str, svc: ServiceEntry) -> DiscoveredService:
        import time

        client = HttpClient(svc.base_url, timeout=self.services.discovery.timeout, retries=0)
        started = time.perf_counter()
        try:
            body = client.get_json(svc.health_endpoint)
            healthy = isinstance(body, dict) and body.get("status") == "healthy"
            error = None if healthy else f"unexpected answer: {str(body)[:80]}"
        except HttpError as exc:
            healthy, error = False, str(exc)
        finally:
            client.close()
        latency = round((time.perf_counter() - started) * 1000, 2) if healthy else None
        return DiscoveredService(key, svc.name, svc.base_url, healthy, latency, error)

    def discover(self) -> list[DiscoveredService]:
        items = list(self.services.services.items())
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=len(items)) as pool:
            return list(pool.map(lambda kv: self._check(*kv), items))

    def find(self, key: str) -> DiscoveredService | None:
        svc = self.services.services.get(key)
        return None if svc is None else self._check(key, svc)
