"""Active checks: poll each service's health endpoint and feed the result into node states."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from shared.config import ServiceEntry
from shared.http import HttpClient, HttpError
from shared.timeutil import Clock
from shared.worker import PeriodicWorker
from yl_monitor.store import Store

log = logging.getLogger(__name__)


class ActiveChecker:
    """Owner of the polling thread. ``check_all()`` is one round and is what tests drive."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        services: dict[str, ServiceEntry],
        interval: float,
    ) -> None:
        self._store = store
        self._clock = clock
        self._services = services
        self.interval = interval
        self._clients = {
            key: HttpClient(svc.base_url, timeout=svc.timeout, retries=svc.retry, backoff=0.2)
            for key, svc in services.items()
        }
        self._failing: dict[str, bool] = {}
        # the ``active-checks`` thread: a round at once, then every interval
        self._worker = PeriodicWorker(
            "active-checks", self.check_all, lambda: self.interval, at_once=True, logger=log
        )
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(8, len(services))), thread_name_prefix="health-check"
        )
        self.rounds = 0

    @property
    def service_names(self) -> list[str]:
        return sorted(self._services)

    def check_one(self, key: str) -> bool:
        svc = self._services[key]
        url = svc.base_url + svc.health_endpoint
        error: str | None = None
        try:
            body = self._clients[key].get_json(svc.health_endpoint)
            if not isinstance(body, dict) or body.get("status") not in ("healthy", "ok"):
                error = f"unexpected health answer: {str(body)[:120]}"
        except HttpError as exc:
            error = str(exc)
        ok = error is None
        was_failing = self._failing.get(key)
        if not ok and not was_failing:
            log.warning("health check of %s failed: %s", key, error)
        elif ok and was_failing:
            log.info("health check of %s passes again", key)
        self._failing[key] = not ok
        self._store.record_probe(
            key, svc.name, key, url, self.interval, ok, error, self._clock.now()
        )
        return ok

    def check_all(self) -> dict[str, bool]:
        keys = list(self._services)
        results = list(self._pool.map(self.check_one, keys))
        self.rounds += 1
        return dict(zip(keys, results, strict=True))

    def start(self) -> None:
        if self._services:
            self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=15)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for client in self._clients.values():
            client.close()
