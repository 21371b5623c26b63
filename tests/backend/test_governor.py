"""The quality governor's decisions on a simulated live path: a 30 fps source, a process
thread whose frame costs what its knobs cost at their levels, frames dropped when it is
busy. Time is the simulation's own, so the steps are asserted, never how fast anything ran
(the real pipeline with it: test_governor_live.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ar_backend.governor import Governor, Step
from ar_backend.knobs import Knob, LevelKnob


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def knob(name: str, costs: list[float], importance: float) -> LevelKnob:
    """A knob costing ``costs[level]`` ms per frame at each level (one name per level)."""
    levels = [f"{name} {i}" for i in range(len(costs))]
    holder = {"level": 0}

    def apply(level: int) -> None:
        holder["level"] = level

    return LevelKnob(
        name, levels, importance=importance, apply=apply, cost=lambda: costs[holder["level"]]
    )


class LivePath:
    """A source at ``fps``; each frame takes ``base()`` plus its knobs' costs; the newest
    frame is taken when the last is done, the ones in between are dropped."""

    def __init__(self, governor: Governor, clock: Clock, knobs: list[Knob], fps: float = 30):
        self.governor, self.clock, self.knobs, self.fps = governor, clock, knobs, fps
        self.dropped = 0
        self.out: list[float] = []  # when each frame went out
        self.steps: list[Step] = []
        for k in knobs:
            governor.register(k)

    def run(self, seconds: float, base: Callable[[], float]) -> list[Step]:
        interval = 1 / self.fps
        end = self.clock.t + seconds
        steps: list[Step] = []
        while self.clock.t < end:
            t = self.clock.t
            busy = base() + sum(k.cost_ms() for k in self.knobs)
            done = t + busy / 1000
            captured = math.floor(done / interval) - math.floor(t / interval)
            self.dropped += max(captured - 1, 0)
            self.clock.t = done
            self.out.append(done)
            step = self.governor.observe(busy, self.dropped, self.fps)
            if step is not None:
                steps.append(step)
            if captured < 1:  # nothing new yet: wait for the next frame
                self.clock.t = (math.floor(done / interval) + 1) * interval
        self.steps += steps
        return steps

    def fps_out(self, seconds: float) -> float:
        return sum(1 for t in self.out if t > self.clock.t - seconds) / seconds


def path(*knobs: Knob, enabled: bool = True) -> LivePath:
    clock = Clock()
    return LivePath(Governor(enabled=enabled, clock=clock, wall=clock), clock, list(knobs))


def moves(steps: list[Step]) -> list[tuple[str, str, int]]:
    return [(s.direction, s.knob, s.level) for s in steps]


def test_an_enhancer_costing_more_than_a_frame_is_paused_and_the_rate_held() -> None:
    enhancer = knob("enhancer", [50.0, 0.0], importance=2)
    preview = knob("preview", [3.0, 2.0, 1.0], importance=1)
    live = path(enhancer, preview)
    live.run(30, base=lambda: 15.0)
    assert moves(live.steps) == [("down", "enhancer", 1)]  # once, and nothing else
    assert live.steps[0].says == "enhancer 1"
    assert "fps out" in live.steps[0].why and "dropped" in live.steps[0].why
    assert live.fps_out(10) >= 0.95 * 30
    assert live.governor.summary() == "holding 30 fps: enhancer 1"
    # it cannot come back: the enhancer alone costs more than a frame
    live.run(60, base=lambda: 15.0)
    assert len(live.steps) == 1


def test_steps_go_down_by_cost_for_importance_one_at_a_time_then_back_up_in_reverse() -> None:
    enhancer = knob("enhancer", [50.0, 0.0], importance=2)
    detect = knob("detect_size", [8.0, 5.0, 3.0], importance=2)
    preview = knob("preview", [3.0, 0.5], importance=1)
    live = path(enhancer, detect, preview)
    heavy = {"ms": 28.5}
    live.run(40, base=lambda: heavy["ms"])
    # the enhancer (50 ms for importance 2), then detection (8/2 = 4 over the preview's 3/1),
    # then the preview (3 over detection's 5/2): 28.5 + 5 + 0.5 holds 0.95 of the rate
    assert moves(live.steps) == [
        ("down", "enhancer", 1),
        ("down", "detect_size", 1),
        ("down", "preview", 1),
    ]
    assert live.fps_out(10) >= 0.95 * 30
    # the other load goes: back up in the reverse order, as far as there is room
    heavy["ms"] = 5.0
    back = live.run(60, base=lambda: heavy["ms"])
    assert moves(back) == [("up", "preview", 0), ("up", "detect_size", 0)]
    assert all("room" in s.why for s in back)
    assert enhancer.level == 1  # 5 + 8 + 3 + 50 would not fit: it stays paused
    assert "enhancer 0 would need about" in live.governor.note
    assert live.governor.summary() == "holding 30 fps: enhancer 1"
    assert live.fps_out(10) >= 0.95 * 30


def test_a_noisy_load_near_the_limit_never_flaps() -> None:
    rng = np.random.default_rng(4)
    enhancer = knob("enhancer", [12.0, 0.0], importance=2)
    detect = knob("detect_size", [4.0, 2.0, 1.0], importance=2)
    live = path(enhancer, detect)
    live.run(180, base=lambda: float(rng.normal(24.0, 4.0)))
    downs = [s for s in live.steps if s.direction == "down"]
    ups = [s for s in live.steps if s.direction == "up"]
    assert downs and len(live.steps) <= 3, moves(live.steps)
    assert not ups or ups[-1].at < downs[-1].at or len(ups) == 1


def test_a_knob_that_must_come_down_again_waits_twice_as_long_before_the_next_try() -> None:
    # the load comes and goes: 8 s heavy, 5 s light. The preview goes down, back up in the
    # first light spell, down again at once: from then on it waits 6 s, longer than a spell
    preview = knob("preview", [6.0, 0.0], importance=1)
    live = path(preview)
    for _ in range(4):
        live.run(8, base=lambda: 32.0)
        live.run(5, base=lambda: 10.0)
    assert moves(live.steps) == [
        ("down", "preview", 1),
        ("up", "preview", 0),
        ("down", "preview", 1),
    ]
    # a lasting calm: it comes back after all
    live.run(30, base=lambda: 10.0)
    assert moves(live.steps)[-1] == ("up", "preview", 0)


def test_a_slow_source_is_not_the_live_path_falling_behind() -> None:
    # a camera delivering 20 fps in the dark: nothing is dropped, nothing to turn down
    enhancer = knob("enhancer", [5.0, 0.0], importance=2)
    clock = Clock()
    governor = Governor(clock=clock, wall=clock)
    governor.register(enhancer)
    for i in range(600):
        clock.t = i / 20
        assert governor.observe(10.0, 0, 30.0) is None
    assert enhancer.level == 0 and governor.summary() == "full quality"


def test_off_it_turns_nothing_down_and_switched_off_it_gives_everything_back() -> None:
    enhancer = knob("enhancer", [50.0, 0.0], importance=2)
    live = path(enhancer, enabled=False)
    live.run(20, base=lambda: 15.0)
    assert live.steps == [] and enhancer.level == 0
    assert live.governor.summary() == "off"
    live.governor.set_enabled(True)
    live.run(20, base=lambda: 15.0)
    assert enhancer.level == 1
    live.governor.set_enabled(False)
    assert enhancer.level == 0  # the person's settings in full at once
    assert live.governor.history[-1].why == "the governor was switched off"


def test_a_knob_name_is_registered_once_and_status_lists_every_knob() -> None:
    governor = Governor()
    governor.register(knob("preview", [1.0, 0.0], importance=1))
    try:
        governor.register(knob("preview", [1.0, 0.0], importance=1))
    except ValueError as exc:
        assert "preview" in str(exc)
    else:
        raise AssertionError("a second knob named preview was taken")
    status = governor.status()
    assert [k.name for k in status.knobs] == ["preview"]
    assert status.knobs[0].levels == ["preview 0", "preview 1"]
    assert status.summary == "full quality" and status.steps == []


def test_detection_is_made_smaller_only_while_the_faces_in_view_stay_findable() -> None:
    """dlib misses faces under about 80 px: the detection knob offers nothing (no cost to
    save) while a followed face would shrink under that at the next size, or while no face
    is followed at all; a large face lets it go down."""
    from ar_backend.config import FaceOptions
    from ar_backend.face.live.quality import FaceQuality

    options = FaceOptions(detect_size=640)
    quality = FaceQuality(lambda: options, lambda _stage: 20.0, lambda _name: None)
    detect = next(k for k in quality.knobs if k.name == "detect_size")
    assert detect.cost_ms() == 0.0  # no face followed yet
    frame = (443, 640, 3)
    quality.seen([np.array([100, 100, 170, 175], np.float32)], frame)  # 70 px of 640
    assert detect.cost_ms() == 0.0  # at 480 px it would be 52 px: lost
    quality.seen([np.array([100, 100, 360, 380], np.float32)], frame)  # 260 px of 640
    assert detect.cost_ms() > 0.0
    detect.set_level(1)
    assert quality.applied(options).detect_size == 480
    quality.seen([np.array([100, 100, 250, 260], np.float32)], frame)  # 150 px: 75 at 320
    assert detect.cost_ms() == 0.0  # no further step


def test_detection_goes_to_every_other_frame_only_on_mediapipes_path_with_a_face_followed() -> None:
    """The ``detect_rate`` knob offers half the detector's time while MediaPipe's follower
    follows a face with ``many_faces`` off; dlib's path (it has ``detect_every``), no face
    followed, or ``many_faces`` (a new face would be found a frame late) offer nothing. Its
    step sets what the follower reads, and the user's options are left as they were."""
    from ar_backend.config import FaceOptions
    from ar_backend.face.live.quality import FaceQuality

    options = FaceOptions()
    tracker = {"name": "blazeface_full+face_mesh"}
    quality = FaceQuality(
        lambda: options, lambda _stage: 8.0, lambda _name: None, tracker=lambda: tracker["name"]
    )
    rate = next(k for k in quality.knobs if k.name == "detect_rate")
    assert rate.cost_ms() == 0.0  # no face followed yet
    quality.seen([np.array([100, 100, 300, 320], np.float32)], (720, 1280, 3))
    assert rate.cost_ms() == 4.0
    rate.set_level(1)
    assert quality.detect_alternate and rate.cost_ms() == 0.0  # nothing further to save
    assert quality.applied(options) is options
    rate.set_level(0)
    assert not quality.detect_alternate
    options = FaceOptions(many_faces=True)
    assert rate.cost_ms() == 0.0
    options = FaceOptions()
    tracker["name"] = "dlib"
    assert rate.cost_ms() == 0.0


def test_a_large_face_is_rendered_smaller_only_where_that_changes_something() -> None:
    """The classic render's working size (face/imaging/workscale.py): the knob offers the
    render's cost while a followed face is larger than its next size, the face's options then
    carry the smaller size (the user's own setting untouched); a small face, or an engine
    that does not render at a working size, offers nothing."""
    from ar_backend.config import FaceOptions
    from ar_backend.face.live.quality import FACE_SIZES, FaceQuality

    options = FaceOptions(work_px=256)
    engine = {"name": "classic"}
    quality = FaceQuality(
        lambda: options, lambda _stage: 30.0, lambda _name: None, engine=lambda: engine["name"]
    )
    size = next(k for k in quality.knobs if k.name == "face_size")
    frame = (1080, 1920, 3)
    quality.seen([np.array([760, 340, 1076, 706], np.float32)], frame)  # a 1080p close-up
    assert size.cost_ms() == 30.0
    assert quality.applied(options) is options  # nothing turned down yet
    size.set_level(1)
    assert quality.applied(options).work_px == FACE_SIZES[0] < 256
    assert options.work_px == 256  # the person's setting stays as chosen
    size.set_level(len(FACE_SIZES))
    assert quality.applied(options).work_px == FACE_SIZES[-1]
    assert size.cost_ms() == 0.0  # nothing below the last size
    size.set_level(0)
    quality.seen([np.array([100, 100, 220, 230], np.float32)], frame)  # 130 px across
    assert size.cost_ms() == 0.0  # already under the next size: it would change nothing
    quality.seen([np.array([760, 340, 1076, 706], np.float32)], frame)
    engine["name"] = "inswapper"
    assert size.cost_ms() == 0.0  # its own fixed 128 px swap: no working size to lower


def test_occlusion_is_turned_down_in_steps_only_while_it_is_on() -> None:
    """The occlusion knob offers occlusion's cost while it is on and a level is left; its
    levels reach the occlusion (set_detail), the person's option stays on."""
    from ar_backend.config import FaceOptions
    from ar_backend.face.live.quality import FaceQuality

    options = {"now": FaceOptions()}
    levels: list[int] = []
    quality = FaceQuality(
        lambda: options["now"],
        lambda _stage: None,
        lambda _name: None,
        occlusion=levels.append,
        occlusion_ms=lambda: 12.0,
    )
    knob = next(k for k in quality.knobs if k.name == "occlusion")
    assert knob.cost_ms() == 12.0
    knob.set_level(1)
    knob.set_level(2)
    assert levels == [1, 2] and knob.cost_ms() == 12.0
    knob.set_level(3)
    assert levels == [1, 2, 3] and knob.cost_ms() == 0.0  # nothing left below
    assert quality.applied(options["now"]).occlusion == "on"
    knob.set_level(0)
    options["now"] = FaceOptions(occlusion="off")
    assert knob.cost_ms() == 0.0  # off: nothing to win


def test_a_late_picture_is_stepped_down_though_the_rate_is_held() -> None:
    """The rate is held (20 ms of a 33 ms frame) but each frame comes out 60 ms after the
    camera took it (its faces found on the prepare thread first): over 1.5 frame times (50
    ms at 30 fps) the picture lags the sound, so the governor steps the costliest knob down
    until the latency is within it, then stays (stepping back would make it late again);
    with the bound at 0 the same path is left alone."""
    down = [("down", "face_size", level) for level in (1, 2, 3)]  # 60, 56, 52, then 50 ms
    for bound, expected in ((1.5, down), (0, [])):
        clock = Clock()
        size = knob("face_size", [12.0, 8.0, 4.0, 2.0], importance=3)
        occlusion = knob("occlusion", [4.0, 3.0], importance=3)
        governor = Governor(clock=clock, wall=clock, latency_frames=bound)
        for k in (size, occlusion):
            governor.register(k)
        steps = []
        for _ in range(30 * 30):  # 30 s at 30 fps
            busy = 4.0 + size.cost_ms() + occlusion.cost_ms()
            clock.t += 1 / 30
            step = governor.observe(busy, 0, 30.0, latency_ms=busy + 40.0)
            if step is not None:
                steps.append(step)
        assert moves(steps) == expected
        if steps:
            assert steps[0].why.startswith("latency p95 60 ms, over 50")
            assert 4.0 + size.cost_ms() + occlusion.cost_ms() + 40.0 <= 50
