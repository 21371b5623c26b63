"""The quality governor: holds the live frame rate by itself, turning down what costs most and
matters least while the machine cannot keep up, and back up when it can.

The pipeline's process thread tells it about every frame out (:meth:`Governor.observe`): how
long the frame's processing took and how many frames have been dropped or skipped so far.
From that it knows the rate out against the source's and the room left in a frame's time.

- **Down**, one step at a time: when fps out has been under ``DOWN_RATIO`` of the source's rate
  over the last ``RATE_WINDOW_S`` while frames are being dropped (the live path is what falls
  behind, not a slow source), the knob (ar_backend/knobs.py) with the highest cost for its
  importance goes down one level. Then it waits ``SETTLE_S`` to see the effect before another.
- **Down for latency** too: when the 95th percentile of the frames' latency (camera to out)
  over ``RATE_WINDOW_S`` is over ``latency_frames`` frame times (1.5: 50 ms at 30 fps, 25 ms
  at 60), though the rate is held: a call partner or an audience sees the picture that much
  after the sound.
- **Up**, in the reverse order (the last knob turned down goes back first): when for
  ``hold`` seconds no frame was dropped, the rate is held and a frame's processing plus what
  the step back up is expected to cost (what stepping down saved, as measured) fits in
  ``UP_ROOM`` of a frame's time, and the latency's 95th percentile plus that cost stays
  within ``LATENCY_UP`` of its bound.
- **Hysteresis**: the gap between the two thresholds, the settle time after each step, and a
  hold that doubles (up to ``HOLD_MAX_S``) for a knob that had to come down again within
  ``FLAP_S`` of going back up, so it never flaps.

Knobs change what the live path does, never the user's settings; switched off (``face.governor:
off``) every knob goes back to full quality.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from ar_backend.knobs import Knob
from shared.messages import JsonValue, as_message
from shared.wire.backend import GovernorEvent, GovernorKnob, GovernorStatus, GovernorStep

DOWN_RATIO = 0.95  # fps out under this share of the source's rate, with drops: step down
RATE_WINDOW_S = 1.5  # the rate out is counted over this long
SETTLE_S = 1.5  # after a step, this long before the next decision
UP_ROOM = 0.75  # step up only when processing plus the step's cost fits in this share
HOLD_S = 3.0  # this long with room (and no drop) on every frame before a step up
ROOM_WINDOW_S = 0.5  # the room is judged on the processing over this long
HOLD_MAX_S = 120.0
FLAP_S = 20.0  # a knob back up that has to come down within this long holds twice as long
HISTORY = 20  # steps kept for status
LATENCY_FRAMES = 1.5  # p95 latency over this many frame times: a step down (0: rate only)
LATENCY_UP = 0.8  # a step back up must leave p95 latency within this share of that bound
LATENCY_MIN_FRAMES = 10  # latencies needed in the window before they are judged


@dataclass(frozen=True)
class Step:
    """One change the governor made, for status and the log."""

    at: float  # epoch seconds
    knob: str
    level: int
    direction: str  # "down" or "up"
    says: str  # the knob's level in words ("enhancer paused")
    why: str
    says_key: str = "text"  # its catalogue key and parameters (shared/messages.py)
    says_args: dict[str, JsonValue] = field(default_factory=dict)


@dataclass
class _Down:
    """A step down still in force: what it saved, to judge when it may be undone."""

    knob: Knob
    at: float  # monotonic
    busy_before: float  # ms per frame in the window before it
    saved_ms: float  # expected saving (the knob's cost then; measured once settled)
    measured: bool = False


class Governor:
    """Owned by the studio; :meth:`observe` is called by the pipeline's process thread, the
    rest from any thread. ``clock`` and ``wall`` are seams for tests (a frame clock)."""

    def __init__(
        self,
        knobs: Iterable[Knob] = (),
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        latency_frames: float = LATENCY_FRAMES,
    ) -> None:
        self._knobs: list[Knob] = []
        self.latency_frames = latency_frames
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self.enabled = enabled
        self._frames: deque[tuple[float, float, int]] = deque()  # (t, busy ms, behind)
        self._latency: deque[tuple[float, float]] = deque()  # (t, camera to out ms)
        self._down: list[_Down] = []  # in force, oldest first
        self._hold: dict[str, float] = {}  # knob name: its current hold before a step up
        self._last_up: dict[str, float] = {}  # knob name: when it last went back up
        self._last_step = float("-inf")
        self._room_since: float | None = None  # room for the next step up since then
        self._started: float | None = None
        self.history: deque[Step] = deque(maxlen=HISTORY)
        self.target_fps = 0.0
        self.note = ""  # the last decision's reason, or why none is possible
        for knob in knobs:
            self.register(knob)

    # ---- knobs -----------------------------------------------------------------------------

    def register(self, knob: Knob) -> None:
        """Add a knob (a part of the live path that can do less). Its name is unique."""
        with self._lock:
            if any(k.name == knob.name for k in self._knobs):
                raise ValueError(f"a knob named {knob.name!r} is registered already")
            self._knobs.append(knob)

    @property
    def knobs(self) -> list[Knob]:
        return list(self._knobs)

    def set_enabled(self, on: bool) -> None:
        """Off: every knob back to full quality at once (the user's settings in full)."""
        with self._lock:
            self.enabled = on
            if not on:
                self._restore_all("the governor was switched off")

    def reset(self) -> None:
        """A new source (another size or rate): full quality, judged afresh."""
        with self._lock:
            self._restore_all("a new source")
            self._frames.clear()
            self._latency.clear()
            self._room_since = None
            self._hold.clear()
            self._last_up.clear()
            self._started = None

    def _restore_all(self, why: str) -> None:
        for down in reversed(self._down):
            if down.knob.level > 0:
                down.knob.set_level(0)
                self._record(down.knob, "up", why)
        self._down.clear()

    # ---- the process thread ----------------------------------------------------------------

    def observe(
        self, busy_ms: float, behind: int, target_fps: float, latency_ms: float | None = None
    ) -> Step | None:
        """One frame out: ``busy_ms`` its processing took, ``behind`` the frames dropped or
        skipped so far (a running count), ``target_fps`` the source's rate, ``latency_ms``
        from the camera to out. A step taken now is returned (and applied: the knob's level
        is set on this thread)."""
        now = self._clock()
        with self._lock:
            self.target_fps = target_fps
            frames = self._frames
            frames.append((now, busy_ms, behind))
            while frames and now - frames[0][0] > max(HOLD_S, HOLD_MAX_S / 8):
                frames.popleft()
            if latency_ms is not None:
                self._latency.append((now, latency_ms))
            while self._latency and now - self._latency[0][0] > RATE_WINDOW_S:
                self._latency.popleft()
            if self._started is None:
                self._started = now
            if not self.enabled or target_fps <= 0 or now - self._started < RATE_WINDOW_S:
                return None
            self._measure_savings(now)
            if now - self._last_step < SETTLE_S:
                return None
            interval_ms = 1000.0 / target_fps
            fps = self._rate(now)
            dropping = self._behind_since(now - RATE_WINDOW_S) > 0
            if fps < DOWN_RATIO * target_fps and dropping:
                return self._step_down(now, f"fps out {fps:.1f} of {target_fps:g}, frames dropped")
            late, bound = self._latency_p95(), self.latency_frames * interval_ms
            if late is not None and bound > 0 and late > bound:
                return self._step_down(now, f"latency p95 {late:.0f} ms, over {bound:.0f}")
            return self._maybe_up(now, fps, target_fps, interval_ms)

    def _latency_p95(self) -> float | None:
        """The 95th percentile of the latencies over the last ``RATE_WINDOW_S`` (None: too
        few yet)."""
        values = sorted(ms for _t, ms in self._latency)
        if len(values) < LATENCY_MIN_FRAMES:
            return None
        return values[min(len(values) - 1, int(0.95 * len(values)))]

    def _rate(self, now: float) -> float:
        n = sum(1 for t, _b, _d in self._frames if now - t < RATE_WINDOW_S)
        return n / RATE_WINDOW_S

    def _behind_since(self, since: float) -> int:
        inside = [d for t, _b, d in self._frames if t >= since]
        before = [d for t, _b, d in self._frames if t < since]
        if not inside:
            return 0
        return inside[-1] - (before[-1] if before else inside[0])

    def _busy(self, since: float) -> float | None:
        values = [b for t, b, _d in self._frames if t >= since]
        return sum(values) / len(values) if values else None

    def _measure_savings(self, now: float) -> None:
        """Once a step down has settled, what it saved is measured: processing before it
        less processing since (never less than nothing)."""
        for down in self._down:
            if not down.measured and now - down.at >= SETTLE_S:
                after = self._busy(down.at + SETTLE_S / 3)
                if after is not None:
                    down.saved_ms = max(down.busy_before - after, 0.0)
                    down.measured = True

    def _step_down(self, now: float, why: str) -> Step | None:
        candidates = [k for k in self._knobs if k.level < len(k.levels) - 1 and k.cost_ms() > 0]
        if not candidates:
            self.note = f"{why}; nothing left to turn down"
            return None
        knob = max(candidates, key=lambda k: (k.cost_ms() / max(k.importance, 0.1), -k.importance))
        cost = knob.cost_ms()
        before = self._busy(now - RATE_WINDOW_S) or 0.0
        knob.set_level(knob.level + 1)
        self._room_since = None
        last_up = self._last_up.get(knob.name, float("-inf"))
        if last_up > now - FLAP_S:  # it came back too soon: it waits twice as long next time
            self._hold[knob.name] = min(self._hold.get(knob.name, HOLD_S) * 2, HOLD_MAX_S)
        elif last_up < now - 5 * FLAP_S:  # long since: judged afresh
            self._hold.pop(knob.name, None)
        self._down.append(_Down(knob, now, before, cost))
        self._last_step = now
        self.note = why
        return self._record(knob, "down", f"{why} (it cost {cost:.0f} ms a frame)")

    def _maybe_up(self, now: float, fps: float, target: float, interval_ms: float) -> Step | None:
        """The last knob turned down back up one level, once there has been room for it on
        every frame for its hold time: the recent processing (over ``ROOM_WINDOW_S``) plus
        what the step back is expected to cost fits in ``UP_ROOM`` of a frame's time."""
        if not self._down:
            self._room_since = None
            self.note = ""
            return None
        down = self._down[-1]
        knob = down.knob
        busy = self._busy(now - ROOM_WINDOW_S)
        dropping = self._behind_since(now - ROOM_WINDOW_S) > 0
        late = self._latency_p95()
        room = (
            busy is not None
            and not dropping
            and fps >= DOWN_RATIO * target
            and busy + down.saved_ms <= UP_ROOM * interval_ms
            and (
                late is None
                or self.latency_frames <= 0
                or late + down.saved_ms <= LATENCY_UP * self.latency_frames * interval_ms
            )
        )
        if not room:
            self._room_since = None
            if busy is not None:
                self.note = (
                    f"{busy:.0f} ms of {interval_ms:.0f} per frame; {knob.levels[knob.level - 1]}"
                    f" would need about {down.saved_ms:.0f} ms more"
                )
            return None
        if self._room_since is None:
            self._room_since = now
        hold = self._hold.get(knob.name, HOLD_S)
        if now - self._room_since < hold:
            return None
        knob.set_level(knob.level - 1)
        self._down.pop()
        self._last_up[knob.name] = now
        self._last_step = now
        self._room_since = None
        assert busy is not None
        why = f"room: {busy:.0f} ms of {interval_ms:.0f} per frame for {hold:g} s"
        self.note = why
        return self._record(knob, "up", why)

    def _record(self, knob: Knob, direction: str, why: str) -> Step:
        said = as_message(knob.levels[knob.level])
        step = Step(
            self._wall(), knob.name, knob.level, direction, str(said), why, said.key, said.args
        )
        self.history.append(step)
        return step

    # ---- status ----------------------------------------------------------------------------

    def summary(self) -> str:
        """One line for a person: "holding 30 fps: enhancer paused", "full quality", "off"."""
        if not self.enabled:
            return "off"
        turned = [str(k.levels[k.level]) for k in self._knobs if k.level > 0]
        if not turned:
            return "full quality"
        return f"holding {self.target_fps:g} fps: " + ", ".join(turned)

    @staticmethod
    def _step(knob: Knob) -> GovernorStep:
        said = as_message(knob.levels[knob.level])
        return GovernorStep(
            knob=knob.name,
            level=knob.level,
            says=str(said),
            says_key=said.key,
            says_args=dict(said.args),
        )

    def status(self) -> GovernorStatus:
        with self._lock:
            now = self._clock()
            interval = 1000.0 / self.target_fps if self.target_fps > 0 else None
            busy = self._busy(now - RATE_WINDOW_S)
            return GovernorStatus(
                enabled=self.enabled,
                summary=self.summary(),
                target_fps=round(self.target_fps, 2),
                fps_out=round(self._rate(now), 2) if self._frames else None,
                busy_ms=None if busy is None else round(busy, 2),
                budget_ms=None if interval is None else round(interval, 2),
                note=self.note,
                steps=[self._step(k) for k in self._knobs if k.level > 0],
                knobs=[
                    GovernorKnob(
                        name=k.name,
                        level=k.level,
                        levels=[str(v) for v in k.levels],
                        importance=k.importance,
                        cost_ms=round(k.cost_ms(), 2),
                    )
                    for k in self._knobs
                ],
                history=[GovernorEvent(**asdict(s)) for s in self.history],
            )
