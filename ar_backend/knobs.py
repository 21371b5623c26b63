"""What the quality governor (ar_backend/governor.py) may turn down: a knob with levels and a
cost.

A part of the live path that can do less work when the machine cannot keep up (the face
enhancer paused, detection on a smaller picture, occlusion in less detail, a lower working
resolution, a rougher preview) offers a :class:`Knob`: its levels, from full quality (0)
down to the cheapest, in words a person reads in the status ("enhancer paused"); how much it
matters to the picture (``importance``); and what it costs per frame now (``cost_ms``). The
governor steps down the knob that costs most for what it matters, one level at a time, and
back up when there is room. A knob only changes what the live path does: never the user's own
settings, which stay as they were chosen.

A part registers its knob with the studio (``Studio.knobs``, or a processor's ``knobs``
attribute, gathered when the studio starts). :class:`LevelKnob` is the common case: a list of
levels and a callable that measures the cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from shared.messages import Message


@runtime_checkable
class Knob(Protocol):
    """One thing the governor may turn down. ``level`` 0 is full quality; each level up to
    ``len(levels) - 1`` costs less and shows more."""

    name: str  # short and stable: "enhancer", "detect_size", "preview"
    importance: float  # how much a person notices it turned down: 1 hardly ... 5 a lot

    @property
    def levels(self) -> Sequence[Message | str]:
        """Each level in words (a catalogue Message, for a client's language), as the status
        says it: ``levels[0]`` full quality."""

    @property
    def level(self) -> int: ...

    def set_level(self, level: int) -> None:
        """Take effect from the next frame (called from the pipeline's process thread)."""

    def cost_ms(self) -> float:
        """What it spends per frame out at its level now, in ms of CPU (an estimate): 0 when
        it does nothing now (an enhancer that is off), so there is nothing to win."""


class LevelKnob:
    """A knob from its levels, the callable that applies a level, and the one that measures
    its cost (``cost``: ms per frame at the current level)."""

    def __init__(
        self,
        name: str,
        levels: Sequence[Message | str],
        *,
        importance: float,
        apply: Callable[[int], None],
        cost: Callable[[], float],
    ) -> None:
        if len(levels) < 2:
            raise ValueError(f"knob {name}: at least two levels")
        self.name = name
        self.importance = importance
        self._levels = tuple(levels)
        self._apply = apply
        self._cost = cost
        self._level = 0
        self._lock = threading.Lock()

    @property
    def levels(self) -> Sequence[Message | str]:
        return self._levels

    @property
    def level(self) -> int:
        return self._level

    def set_level(self, level: int) -> None:
        level = max(0, min(len(self._levels) - 1, level))
        with self._lock:
            self._level = level
            self._apply(level)

    def cost_ms(self) -> float:
        return max(0.0, float(self._cost()))
