"""The engines the live session has opened, by name, and which one is in use: an engine is
created on first use (seconds, for the neural ones) and kept until the session closes."""

from __future__ import annotations

import logging
import threading
import time

from ar_backend.config import FaceConfig
from ar_backend.face.engines.base import Engine, create_engine, engine_types
from shared.messages import text_fields
from shared.wire.backend import EngineView

log = logging.getLogger(__name__)


class EngineCache:
    def __init__(self, cfg: FaceConfig, work: threading.RLock) -> None:
        self.cfg = cfg
        self.active = cfg.engine  # the engine in use (POST /face/settings switches it)
        self._work = work
        self._engines: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        """Engine ``name``, created on first use (UnknownName, EngineUnavailable)."""
        with self._work:
            engine = self._engines.get(name)
            if engine is None:
                t0 = time.perf_counter()
                engine = create_engine(name, self.cfg)
                log.info("face engine %s ready in %.1f s", name, time.perf_counter() - t0)
                self._engines[name] = engine
            return engine

    def opened(self, name: str) -> Engine | None:
        """Engine ``name`` if it is open (never opens it)."""
        return self._engines.get(name)

    def use(self, engine: Engine) -> None:
        """Take an engine already open as ``engine.name`` (tests and benchmarks share one)."""
        with self._work:
            self._engines[engine.name] = engine

    def forget(self, name: str) -> None:
        """Let go of an engine without closing it (its lender closes it)."""
        with self._work:
            self._engines.pop(name, None)

    def current(self) -> Engine:
        return self.get(self.active)

    def listing(self) -> list[EngineView]:
        """Every registered engine: available or why not, active, loaded (GET /face/engines)."""
        out = []
        for name, kind in sorted(engine_types().items()):
            reason = kind.check(self.cfg)
            out.append(
                EngineView(
                    name=name,
                    description=kind.description,
                    available=reason is None,
                    **text_fields("reason", reason),
                    active=name == self.active,
                    loaded=name in self._engines,
                )
            )
        return out

    def close(self) -> None:
        """(Callers hold the session's ``work`` lock.)"""
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()
