"""What the live swap tells about its enhancer: the moving mean of its cost per frame, and
whether that keeps the live rate here (``face.enhancer.live_budget_ms``), with advice when it
does not (``EnhancerStatus`` in shared/wire/backend.py)."""

from __future__ import annotations

import threading
from typing import Any

from ar_backend.face.enhancers.base import OFF

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


def advice(ms: float, budget: float) -> str:
    return (
        f"the enhancer takes {ms:.0f} ms per frame here (budget {budget:g} ms): live video "
        "will drop frames; use it for file jobs (Files tab) instead"
    )


def status(
    model: str,
    strength: float,
    reason: str | None,
    info: dict[str, Any] | None,
    requested: list[str],
    ms: float | None,
    budget: float,
    error: str | None,
) -> dict[str, Any]:
    """The ``enhancer`` entry of FaceSwap.status(): ``info`` is the loaded enhancer's (None
    before it is), ``ms`` its measured mean cost, ``error`` a failure while running."""
    info = info or {}
    keeps = None if ms is None or model == OFF else ms <= budget
    return {
        "model": model,
        "strength": strength,
        "available": reason is None,
        "reason": reason,
        "loaded": bool(info),
        "provider": info.get("provider"),
        "requested": list(info.get("requested", requested)),
        "provider_options": dict(info.get("provider_options", {})),
        "gpu_warning": info.get("gpu_warning"),
        "ms_per_frame": None if ms is None else round(ms, 2),
        "live_budget_ms": budget,
        "keeps_live_rate": keeps,
        "advice": advice(ms, budget) if keeps is False and ms is not None else None,
        "error": error,
    }
