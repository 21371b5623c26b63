"""The enhancer on the live swap (:class:`LiveEnhancer`): created when chosen, or loaded off
the live path when the options name one not loaded; run on the swapped faces of each frame;
and what it tells: the moving mean of its cost per frame, and whether that keeps the live
rate here (``face.enhancer.live_budget_ms``), with advice when it does not
(``EnhancerStatus`` in shared/wire/backend.py)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.enhancers.base import (
    OFF,
    Enhancer,
    EnhancerUnavailable,
    create_enhancer,
    unavailable_reason,
)
from ar_backend.face.faces import TargetFace
from shared.logs import FaultLatch
from shared.messages import Message, msg, text_fields
from shared.registry import UnknownName
from shared.wire.backend import EnhancerStatus

log = logging.getLogger(__name__)

WEIGHT = 0.1  # each new frame's share of the moving mean (as FaceSwap's stage_ms)


class CostMeter:
    """The moving mean of each enhancer model's milliseconds per frame (frames it ran on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mean: dict[str, float] = {}

    def add(self, model: str, ms: float) -> None:
        with self._lock:
            old = self._mean.get(model)
            self._mean[model] = ms if old is None else old * (1 - WEIGHT) + ms * WEIGHT

    def mean(self, model: str) -> float | None:
        with self._lock:
            return self._mean.get(model)


def advice(ms: float, budget: float) -> Message:
    return msg("face.enhancer_too_slow", ms=ms, budget=budget)


def status(
    model: str,
    strength: float,
    reason: str | None,
    info: dict[str, Any] | None,
    requested: list[str],
    ms: float | None,
    budget: float,
    error: str | None,
) -> EnhancerStatus:
    """The ``enhancer`` entry of FaceSwap.status(): ``info`` is the loaded enhancer's (None
    before it is), ``ms`` its measured mean cost, ``error`` a failure while running."""
    info = info or {}
    keeps = None if ms is None or model == OFF else ms <= budget
    return EnhancerStatus(
        model=model,
        strength=strength,
        available=reason is None,
        **text_fields("reason", reason),
        loaded=bool(info),
        provider=info.get("provider"),
        requested=list(info.get("requested", requested)),
        provider_options=dict(info.get("provider_options", {})),
        **{k: info.get(k) for k in ("gpu_warning", "gpu_warning_key", "gpu_warning_args")},
        ms_per_frame=None if ms is None else round(ms, 2),
        live_budget_ms=budget,
        keeps_live_rate=keeps,
        **text_fields("advice", advice(ms, budget) if keeps is False and ms is not None else None),
        **text_fields("error", error),
    )


class LiveEnhancer:
    """The live swap's enhancers by model name. Created on first use under the session's
    ``work`` lock (as an engine is), or in the background when the live options name one
    not loaded (frames go out swapped, not enhanced, until it is ready)."""

    def __init__(self, cfg: FaceConfig, work: threading.RLock) -> None:
        self.cfg = cfg
        self._work = work
        self._enhancers: dict[str, Enhancer] = {}
        self._failed: dict[str, str] = {}  # a background load that failed: why
        self._loading: set[str] = set()
        self._lock = threading.Lock()
        self.fault = FaultLatch(log, "face enhancer")
        self.cost = CostMeter()
        self._closed = False

    def get(self, name: str) -> Enhancer:
        """Enhancer ``name``, created on first use (EnhancerUnavailable names the reason)."""
        with self._work:
            enhancer = self._enhancers.get(name)
            if enhancer is None:
                if self._closed:
                    raise EnhancerUnavailable(f"{name} is unavailable: the face swap is closed")
                t0 = time.perf_counter()
                enhancer = create_enhancer(name, self.cfg)
                log.info("face enhancer %s ready in %.1f s", name, time.perf_counter() - t0)
                self._enhancers[name] = enhancer
            self._failed.pop(name, None)
            return enhancer

    def loaded(self, name: str) -> Enhancer | None:
        """Enhancer ``name`` if it is loaded."""
        return self._enhancers.get(name)

    def load_soon(self, name: str) -> None:
        """Load ``name`` off the live path (the options name it, as configured or restored,
        and it is not loaded). One try: choosing it again (POST /face/settings) tries again."""
        with self._lock:
            if name in self._loading or name in self._failed or self._closed:
                return
            self._loading.add(name)
        threading.Thread(
            target=self._load, args=(name,), name="face-enhancer-load", daemon=True
        ).start()

    def _load(self, name: str) -> None:
        try:
            self.get(name)
        except Exception as exc:  # status says why (the reason, or what failed)
            self._failed[name] = str(exc).strip("'\"")
            log.warning("face enhancer %s not loaded: %s", name, exc)
        finally:
            with self._lock:
                self._loading.discard(name)

    def enhance(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        options: FaceOptions,
        timings: dict[str, float],
    ) -> np.ndarray:
        """The swapped ``faces`` restored (the process thread). A failure is logged once and
        the frame goes out swapped, not enhanced; status says why until it runs again."""
        name = options.enhancer
        enhancer = self._enhancers.get(name)
        if enhancer is None:
            self.load_soon(name)
            return image
        t0 = time.perf_counter()
        try:
            out = enhancer.enhance(image, faces, options.enhancer_strength)
        except Exception as exc:
            if self.fault.fault(f"{name}: {exc.__class__.__name__}: {exc}"):
                log.debug("face enhancer %s failed", name, exc_info=True)
            return image
        ms = (time.perf_counter() - t0) * 1000
        timings["face.enhance"] = ms
        self.cost.add(name, ms)
        self.fault.clear()
        return out

    def status(self, options: FaceOptions) -> EnhancerStatus:
        """The enhancer chosen, whether it can run, on what, what it costs per frame here and
        whether that keeps the live rate (``EnhancerStatus``)."""
        name = options.enhancer
        enhancer = self._enhancers.get(name) if name != OFF else None
        reason = None
        if name != OFF and enhancer is None:
            try:
                reason = self._failed.get(name) or unavailable_reason(name, self.cfg)
            except UnknownName as exc:
                reason = str(exc)
        on = name != OFF
        return status(
            name,
            options.enhancer_strength,
            reason,
            enhancer.info() if enhancer is not None else None,
            list(self.cfg.enhancer.providers),
            self.cost.mean(name) if on else None,
            self.cfg.enhancer.live_budget_ms,
            self.fault.active if on else None,
        )

    def close(self) -> None:
        """(Callers hold the session's ``work`` lock.)"""
        self._closed = True
        for enhancer in self._enhancers.values():
            enhancer.close()
        self._enhancers.clear()
