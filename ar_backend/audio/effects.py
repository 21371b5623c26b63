"""Effects: small classes registered by type, each a numpy function of a block and its state.

Blocks are float32 arrays shaped (frames, channels) in [-1, 1]. Parameter names are the same
in the CLI, the API and config (``pitch`` with ``semitones``); a pydantic model per effect
validates them, so a bad value is an error naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.registry import Registry


class EffectError(ValueError):
    """Bad parameters, or a chain that cannot be built; ``field`` names what is wrong.
    (An unknown effect type is the registry's :class:`UnknownName`.)"""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class EffectNotInChain(LookupError):
    """A known effect type that is not in the chain (a 404 to the API)."""

    def __init__(self, message: str, field: str = "effect_type") -> None:
        super().__init__(message)
        self.field = field


class Params(BaseModel):
    """Every number has a finite minimum and maximum (tests check each effect); strict: a
    switch is true or false, a number is a number (1.0 is no switch, true no number)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class Effect:
    Params: ClassVar[type[Params]]
    latency_samples: int = 0  # the algorithmic latency this effect adds

    def __init__(self, params: Any, rate: int, channels: int) -> None:
        self.params = params
        self.rate = rate
        self.channels = channels

    def process(self, block: np.ndarray) -> np.ndarray:
        raise NotImplementedError


REGISTRY: Registry[type[Effect]] = Registry("effect type")
register = REGISTRY.register


def make_effect(effect_type: str, params: dict[str, Any], rate: int, channels: int) -> Effect:
    """The effect with its parameters validated: :class:`UnknownName` for an unknown type,
    :class:`EffectError` naming ``params.<name>`` for a bad parameter."""
    cls = REGISTRY.get(effect_type)
    try:
        parsed = cls.Params.model_validate(params or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "params"
        raise EffectError(f"params.{name}: {err['msg']}", f"params.{name}") from exc
    return cls(parsed, rate, channels)


# ---- level -----------------------------------------------------------------------------------


class GainParams(Params):
    db: float = Field(0.0, ge=-60, le=24, description="Gain in dB.")


@register("gain")
class Gain(Effect):
    Params = GainParams

    def process(self, block: np.ndarray) -> np.ndarray:
        return block * np.float32(10 ** (self.params.db / 20))


class GateParams(Params):
    threshold_db: float = Field(-45.0, ge=-100, le=0, description="Opens above this level.")
    attack_ms: float = Field(2.0, gt=0, le=200, description="Time to open.")
    release_ms: float = Field(80.0, gt=0, le=2000, description="Time to close.")


def _lfilter() -> Callable[..., Any]:
    """scipy.signal's ``lfilter``, imported when an effect that filters is built, off the
    audio thread: scipy.signal takes 0.4 s of CPU to import, which a backend whose chain has
    no such effect (the default) never pays at start."""
    from scipy.signal import lfilter

    return lfilter


@register("gate")
class NoiseGate(Effect):
    """Silences what stays under the threshold; opens and closes smoothly (no clicks)."""

    Params = GateParams

    def __init__(self, params: GateParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self._threshold = 10 ** (params.threshold_db / 20)
        self._attack = math.exp(-1 / (rate * params.attack_ms / 1000))
        self._release = math.exp(-1 / (rate * params.release_ms / 1000))
        self._hold = math.exp(-1 / (rate * 0.01))  # 10 ms peak envelope
        self._env = np.zeros(1)
        self._gain = np.zeros(1)
        self._lfilter = _lfilter()

    def process(self, block: np.ndarray) -> np.ndarray:
        level = np.abs(block).max(axis=1).astype(np.float64)
        # peak envelope: a one-pole follower of the rectified signal
        env, self._env = self._lfilter([1 - self._hold], [1, -self._hold], level, zi=self._env)
        target = (env >= self._threshold).astype(np.float64)
        # smooth the open/closed target (attack when opening, release when closing)
        coef = np.where(target > self._gain[0], self._attack, self._release)
        gains = np.empty_like(target)
        g = float(self._gain[0])
        for i in range(len(target)):  # a few ops a sample; blocks are small
            g = target[i] + (g - target[i]) * coef[i]
            gains[i] = g
        self._gain[0] = g
        return (block * gains[:, None]).astype(np.float32)


# ---- filters ---------------------------------------------------------------------------------


class _OnePole(Effect):
    """First-order filter (6 dB/octave) per channel, its state kept across blocks."""

    highpass: ClassVar[bool]

    def __init__(self, params: Any, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self._a = math.exp(-2 * math.pi * min(params.cutoff_hz, rate / 2.1) / rate)
        self._zi = np.zeros((1, channels))
        self._lfilter = _lfilter()

    def process(self, block: np.ndarray) -> np.ndarray:
        low, self._zi = self._lfilter([1 - self._a], [1, -self._a], block, axis=0, zi=self._zi)
        return (block - low if self.highpass else low).astype(np.float32)


class HighPassParams(Params):
    cutoff_hz: float = Field(80.0, gt=10, lt=24000, description="Cut-off frequency.")


class LowPassParams(Params):
    cutoff_hz: float = Field(8000.0, gt=10, lt=24000, description="Cut-off frequency.")


@register("highpass")
class HighPass(_OnePole):
    Params = HighPassParams
    highpass = True


@register("lowpass")
class LowPass(_OnePole):
    Params = LowPassParams
    highpass = False


# ---- time ------------------------------------------------------------------------------------


class EchoParams(Params):
    delay_ms: float = Field(250.0, ge=1, le=2000, description="Delay of the echo.")
    feedback: float = Field(0.35, ge=0, le=0.95, description="How much of the echo repeats.")
    mix: float = Field(0.5, ge=0, le=1, description="Echo level against the dry voice.")


@register("echo")
class Echo(Effect):
    Params = EchoParams

    def __init__(self, params: EchoParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self._d = max(1, round(params.delay_ms * rate / 1000))
        self._buf = np.zeros((self._d, channels), np.float32)  # the loop's last d samples
        self._pos = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        p = self.params
        out = np.empty_like(block)
        start = 0
        while start < len(block):  # chunks of at most d frames: each reads only the past
            n = min(self._d - self._pos, len(block) - start)
            chunk = block[start : start + n]
            delayed = self._buf[self._pos : self._pos + n].copy()
            self._buf[self._pos : self._pos + n] = chunk + delayed * p.feedback
            out[start : start + n] = chunk + delayed * p.mix
            self._pos = (self._pos + n) % self._d
            start += n
        return out


class ReverbParams(Params):
    room: float = Field(0.5, ge=0, le=1, description="Room size (decay).")
    mix: float = Field(0.3, ge=0, le=1, description="Reverb level against the dry voice.")


@register("reverb")
class Reverb(Effect):
    """A small Schroeder-style reverb: four parallel feedback combs of prime-ish lengths."""

    Params = ReverbParams
    COMBS_MS = (29.7, 37.1, 41.1, 43.7)

    def __init__(self, params: ReverbParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        fb = 0.7 + 0.28 * params.room
        self._combs = [
            Echo(EchoParams(delay_ms=ms, feedback=fb, mix=1.0), rate, channels)
            for ms in self.COMBS_MS
        ]

    def process(self, block: np.ndarray) -> np.ndarray:
        wet = sum(c.process(block) - block for c in self._combs) / len(self._combs)
        return (block * (1 - self.params.mix) + wet * self.params.mix).astype(np.float32)


# ---- voice -----------------------------------------------------------------------------------


class RobotParams(Params):
    frequency_hz: float = Field(50.0, ge=10, le=500, description="Carrier frequency.")


@register("robot")
class Robot(Effect):
    """Ring modulation: the classic robot voice."""

    Params = RobotParams

    def __init__(self, params: RobotParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self._t = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        t = self._t + np.arange(len(block))
        self._t += len(block)
        carrier = np.sin(2 * np.pi * self.params.frequency_hz * t / self.rate).astype(np.float32)
        return block * carrier[:, None]
