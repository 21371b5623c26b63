"""An effect chain: ordered effects, each bypassable, changed while audio runs without clicks."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ar_backend.audio.effects import (
    REGISTRY,
    Effect,
    EffectError,
    EffectNotInChain,
    make_effect,
)
from shared.registry import UnknownName
from shared.wire.backend import AudioEffect, EffectChainOut, EffectParam, EffectTypesOut

# what GET /audio/effects tells of each parameter (JSON Schema's words)
PARAM_KEYS = (
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "description",
)

MAX_EFFECTS = 16


@dataclass
class Slot:
    type: str
    params: dict[str, Any]
    effect: Effect
    bypass: bool = False

    def describe(self) -> AudioEffect:
        return AudioEffect(
            type=self.type,
            params=self.effect.params.model_dump(),
            bypass=self.bypass,
            latency_ms=round(self.effect.latency_samples / self.effect.rate * 1000, 2),
        )


@dataclass
class _Chain:
    slots: list[Slot] = field(default_factory=list)

    def run(self, block: np.ndarray) -> np.ndarray:
        for slot in self.slots:
            if not slot.bypass:
                block = slot.effect.process(block)
        return block


class EffectChain:
    """``process(block)`` runs in the audio thread; the setters may run in any other.

    A change builds a new chain and swaps it in; the next block is rendered through both the
    old and the new chain and cross-faded, so a change never clicks.
    """

    def __init__(self, rate: int, channels: int, max_effects: int = MAX_EFFECTS) -> None:
        self.rate = rate
        self.channels = channels
        self.max_effects = max_effects  # each effect costs memory and time in every block
        self._lock = threading.Lock()
        self._chain = _Chain()
        self._previous: _Chain | None = None

    # ---- building --------------------------------------------------------------------------

    def _slot(self, spec: dict[str, Any], index: int | None = None) -> Slot:
        if not isinstance(spec, dict):
            raise EffectError("each effect is an object with type and params", "effects")
        effect_type = spec.get("type")
        if not isinstance(effect_type, str):
            raise EffectError("type is required", "type")
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            raise EffectError("params must be an object", "params")
        bypass = spec.get("bypass", False)
        if not isinstance(bypass, bool):
            raise EffectError("bypass must be true or false", "bypass")
        try:
            effect = make_effect(effect_type, params, self.rate, self.channels)
        except UnknownName as exc:
            exc.field = "type" if index is None else f"effects.{index}.type"
            raise
        except EffectError as exc:
            if index is not None:
                exc.field = f"effects.{index}.{exc.field}"
            raise
        return Slot(effect_type, dict(params), effect, bypass)

    def _swap(self, slots: list[Slot]) -> None:
        with self._lock:
            self._previous = self._chain
            self._chain = _Chain(slots)

    def set_chain(self, specs: list[dict[str, Any]]) -> list[AudioEffect]:
        """Replace the whole chain (validated first: a bad entry changes nothing)."""
        self.install(self.build(specs))
        return self.describe()

    def build(self, specs: list[dict[str, Any]]) -> list[Slot]:
        """A whole chain made and checked, not yet running (``install`` runs it)."""
        if len(specs) > self.max_effects:
            raise EffectError(
                f"the chain holds at most {self.max_effects} effects (audio.max_effects), "
                f"not {len(specs)}",
                "effects",
            )
        return [self._slot(spec, i) for i, spec in enumerate(specs)]

    def install(self, slots: list[Slot]) -> None:
        """Run ``slots`` from the next block on (cross-faded from the chain before)."""
        self._swap(slots)

    def set_effect(
        self, effect_type: str, params: dict[str, Any], bypass: bool = False
    ) -> list[AudioEffect]:
        """Add an effect, or change the one of that type in place (its position kept)."""
        new = self._slot({"type": effect_type, "params": params, "bypass": bypass})
        slots = list(self._chain.slots)
        for i, slot in enumerate(slots):
            if slot.type == effect_type:
                slots[i] = new
                break
        else:
            if len(slots) >= self.max_effects:
                raise EffectError(
                    f"the chain is full ({self.max_effects} effects, audio.max_effects): "
                    f"remove one before adding {effect_type!r}",
                    "type",
                )
            slots.append(new)
        self._swap(slots)
        return self.describe()

    def remove(self, effect_type: str) -> list[AudioEffect]:
        """Take an effect out; an unknown type is UnknownName, one not in the chain
        EffectNotInChain (nothing changes either way)."""
        REGISTRY.get(effect_type, field="effect_type")
        kept = [s for s in self._chain.slots if s.type != effect_type]
        if len(kept) == len(self._chain.slots):
            raise EffectNotInChain(f"{effect_type!r} is not in the effect chain")
        self._swap(kept)
        return self.describe()

    def describe(self) -> list[AudioEffect]:
        return [slot.describe() for slot in self._chain.slots]

    def answer(self, effects: list[AudioEffect]) -> EffectChainOut:
        """A change's answer: the chain as it is now, and its delay."""
        return EffectChainOut(effects=effects, latency_ms=self.latency_ms)

    @staticmethod
    def types() -> EffectTypesOut:
        """Every effect type with its parameters' defaults and ranges (GET /audio/effects),
        from each effect's own Params model."""
        return EffectTypesOut(
            effects={
                name: {
                    key: EffectParam.model_validate({k: spec[k] for k in PARAM_KEYS if k in spec})
                    for key, spec in cls.Params.model_json_schema()["properties"].items()
                }
                for name, cls in sorted(REGISTRY.items())
            }
        )

    @property
    def latency_ms(self) -> float:
        return round(
            sum(s.effect.latency_samples for s in self._chain.slots if not s.bypass)
            / self.rate
            * 1000,
            2,
        )

    # ---- audio thread ----------------------------------------------------------------------

    def process(self, block: np.ndarray) -> np.ndarray:
        with self._lock:
            chain, previous = self._chain, self._previous
            self._previous = None
        out = chain.run(block)
        if previous is not None:
            old = previous.run(block)
            fade = np.linspace(0.0, 1.0, len(block), dtype=np.float32)[:, None]
            out = old * (1 - fade) + out * fade
        return np.clip(out, -1.0, 1.0).astype(np.float32)
