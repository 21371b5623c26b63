"""Following faces between detections, and steadying their landmarks over time.

The detector runs every ``detect_every`` frames; on every frame, each face's landmarks are
re-fitted near where they were (a few ms instead of a full detection).

With a :class:`DetectorThread` the detection runs beside the live path instead of in it:
the frame that is due is handed to the thread, the live path goes on tracking, and the
result is merged a few frames later (new faces re-fitted on the current frame, faces the
detector no longer sees dropped). No frame waits for the detector, so detection costs
neither fps nor latency spikes. Without one, detection runs on the frame that is due.

Smoothing is motion-adaptive: small movements (landmark jitter on a still face) are damped
hard, large ones are followed at once, and movements under a fraction of a pixel are
ignored, so a still face gives the same landmarks frame after frame (no flicker).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ar_backend.config import FaceOptions
from ar_backend.face.detect.base import Found
from ar_backend.face.engines.base import Engine
from ar_backend.face.faces import TargetFace, detect_faces
from ar_backend.face.imaging.geometry import iou
from ar_backend.face.live.confirm import MAX_FAILS, HogCheck, check_for
from ar_backend.face.live.guard import LINGER_S

log = logging.getLogger(__name__)

DEADBAND_PX = 0.3
MATCH_IOU = 0.3
MERGE_IOU = 0.2  # a detection from a few frames back still overlaps its face
MAX_MISSES = 3  # detections in a row that may miss a face its refits still follow


def steady_points(prev: TargetFace, new: TargetFace, smoothing: float) -> np.ndarray:
    """The landmarks to render for ``new``, the same face as ``prev`` a frame ago: the
    previous ones exactly when the measurement did not move (a still face), else smoothed."""
    if (
        prev.raw is not None
        and new.raw is not None
        and prev.raw.shape == new.raw.shape
        and np.abs(new.raw - prev.raw).max() < DEADBAND_PX
    ):
        return prev.points
    return smooth_points(prev.points, new.points, new.size, smoothing)


def smooth_points(prev: np.ndarray, new: np.ndarray, size: float, smoothing: float) -> np.ndarray:
    if smoothing <= 0 or prev.shape != new.shape:
        return new
    step = np.linalg.norm(new - prev, axis=1)
    if step.max() < DEADBAND_PX:
        return prev
    alpha = float(np.clip(step.mean() / max(size * 0.04, 1e-6), 1.0 - smoothing, 1.0))
    return prev + alpha * (new - prev)


@dataclass
class DetectorResult:
    """What the detector thread found on a frame (for ``engine``), and in how long."""

    engine: Engine
    faces: list[TargetFace]
    ms: float = 0.0
    error: str | None = None


class DetectorThread:
    """Runs the engine's detector on the frame it is handed, one at a time, in its own thread.

    Its owner (the tracker's owner) calls ``start()`` and ``stop()``. ``submit()`` never
    waits: while a detection runs, further frames are refused (the caller tries again later).
    """

    def __init__(self, name: str = "face-detect") -> None:
        self.name = name
        self._cond = threading.Condition()
        self._job: tuple[Engine, np.ndarray, FaceOptions, bool] | None = None
        self._busy = False
        self._result: DetectorResult | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy or self._job is not None

    def submit(
        self, engine: Engine, image: np.ndarray, options: FaceOptions, edges: bool = False
    ) -> bool:
        """``edges``: faces cut by the frame's edge too, where the detector sees them."""
        with self._cond:
            if self._busy or self._job is not None or self._thread is None:
                return False
            self._job = (engine, image, options, edges)
            self._cond.notify_all()
            return True

    def take(self) -> DetectorResult | None:
        with self._cond:
            result, self._result = self._result, None
            return result

    def discard(self) -> None:
        """Forget a result still to come (the source face or engine changed)."""
        with self._cond:
            self._result = None
            self._job = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._job is None and not self._stopping:
                    self._cond.wait()
                if self._stopping or self._job is None:  # (a job, unless stopping)
                    return
                engine, image, options, edges = self._job
                self._job = None
                self._busy = True
            t0 = time.perf_counter()
            try:
                result = DetectorResult(engine, detect_faces(engine, image, options, edges=edges))
            except Exception as exc:  # reported through the tracker, logged by FaceSwap
                result = DetectorResult(engine, [], error=f"{exc.__class__.__name__}: {exc}")
            result.ms = (time.perf_counter() - t0) * 1000
            with self._cond:
                self._busy = False
                self._result = result


class Tracker(Protocol):
    """What the live session and file jobs follow faces with: :class:`FaceTracker` (dlib's
    path) or face/live/follow.py's ``FaceFollower`` (MediaPipe's)."""

    linger_s: float  # how long the guard keeps a face it lost (0: the tracker tells)
    # the quality governor's: the detector on every other frame at most (MediaPipe's path;
    # dlib's detects every ``options.detect_every`` frames anyway)
    detect_alternate: bool
    last_ms: dict[str, float]
    detector_error: str | None
    unconfirmed_dropped: int

    @property
    def name(self) -> str: ...

    @property
    def tracks(self) -> list[TargetFace]: ...

    def reset(self) -> None: ...

    def detect_soon(self) -> None: ...

    def update(
        self, engine: Engine, image: np.ndarray, options: FaceOptions
    ) -> list[TargetFace]: ...


class FaceTracker:
    """Owned by one thread (the pipeline's process thread); ``detector`` by the same owner."""

    name = "dlib"
    linger_s = LINGER_S  # a face lost by the refits stays guarded this long (guard.py)
    detect_alternate = False  # (it detects every options.detect_every frames already)

    def __init__(self, detector: DetectorThread | None = None, *, confirm: bool = True) -> None:
        self.detector = detector
        self.confirm = confirm  # face.confirm_faces: the per-frame check (off: never dropped)
        self._tracks: list[TargetFace] = []
        self._since_detect = 0
        self._next_id = 1
        self.detections = 0
        self.refits = 0
        self.lost = 0
        self.last_ms: dict[str, float] = {}
        self.detector_error: str | None = None
        self._shape: tuple[int, ...] = ()
        # confirm.py: each tracked face checked on every frame; one failing MAX_FAILS frames
        # in a row is dropped (counted here). ``scan_empty``: a frame with nothing tracked
        # is searched by the detector on the live path (a face coming into view is swapped
        # from the first frame the detector sees it in; a frame with no face has no render
        # to pay for, so the detection fits in its time)
        self.scan_empty = True
        self.unconfirmed_dropped = 0
        self.weak_ignored = 0  # detections too weak to start a face (see _merge)
        self.recentred = 0  # faces the check found ahead of their refit (see _fitted_at)
        self._frame = 0
        self._check: tuple[Engine, HogCheck | None] | None = None

    def reset(self) -> None:
        self._tracks = []
        self._since_detect = 0
        if self.detector is not None:
            self.detector.discard()

    def detect_soon(self) -> None:
        """Run the detector on the next frame (the choice of faces changed)."""
        self._since_detect = 1 << 30

    @property
    def tracks(self) -> list[TargetFace]:
        return list(self._tracks)

    def update(self, engine: Engine, image: np.ndarray, options: FaceOptions) -> list[TargetFace]:
        self.last_ms = {}
        self._frame += 1
        if image.shape != self._shape:  # another camera or size: nothing tracked is valid
            self.reset()
            self._shape = image.shape
        if self.detector is not None and self.detector.running:
            found = self._update_beside(engine, image, options)
        else:
            found = self._update_inline(engine, image, options)
        found = self._confirmed(engine, image, found)
        if not options.many_faces and found:
            found = [self._one(found)]
        self._tracks = self._match(found, options)
        return list(self._tracks)

    # ---- detection on the frame that is due --------------------------------------------------

    def _update_inline(
        self, engine: Engine, image: np.ndarray, options: FaceOptions
    ) -> list[TargetFace]:
        t0 = time.perf_counter()
        found = self._refit_all(engine, image) if self._tracks else []
        due = not found or self._since_detect >= options.detect_every - 1
        self._since_detect += 1
        if due:
            t1 = time.perf_counter()
            detected = detect_faces(engine, image, options)
            self.detections += 1
            self._since_detect = 0
            self.last_ms["detect"] = (time.perf_counter() - t1) * 1000
            found = self._merge(engine, image, found, detected, current=True)
        self.last_ms["track"] = (time.perf_counter() - t0) * 1000 - self.last_ms.get("detect", 0)
        return found

    # ---- detection beside the live path ------------------------------------------------------

    def _update_beside(
        self, engine: Engine, image: np.ndarray, options: FaceOptions
    ) -> list[TargetFace]:
        assert self.detector is not None
        t0 = time.perf_counter()
        found = self._refit_all(engine, image) if self._tracks else []
        lost = len(found) < len(self._tracks)
        result = self.detector.take()
        if result is not None and result.engine is not engine:
            result = None  # from the engine before a switch: its faces do not fit this one
        if result is not None:
            self.detections += 1
            self.last_ms["detect"] = result.ms  # spent in the detector's thread
            self.detector_error = result.error
            if result.error is None:
                found = self._merge(engine, image, found, result.faces, current=False)
        self._since_detect += 1
        if not found and self.scan_empty:
            # nothing followed: this very frame is searched (a face coming into view is
            # found on the first frame the detector sees it in, not a few frames later)
            t1 = time.perf_counter()
            detected = detect_faces(engine, image, options)
            self.detections += 1
            self._since_detect = 0
            self.last_ms["detect"] = (time.perf_counter() - t1) * 1000
            found = self._merge(engine, image, [], detected, current=True)
            if not any(f.score >= engine.detector.sure for f in detected):
                # none clearly: one may be coming in, cut by the edge (searched beside)
                self.detector.submit(engine, image.copy(), options, edges=True)
            self.last_ms["track"] = (time.perf_counter() - t0) * 1000 - self.last_ms["detect"]
            return found
        due = lost or not found or self._since_detect >= options.detect_every
        if due and self.detector.submit(engine, image.copy(), options):
            self._since_detect = 0
        self.last_ms["track"] = (time.perf_counter() - t0) * 1000
        return found

    # ---- the per-frame check (confirm.py) ----------------------------------------------------

    def _confirmed(
        self, engine: Engine, image: np.ndarray, found: list[TargetFace]
    ) -> list[TargetFace]:
        """``found`` less the faces that failed the check MAX_FAILS frames in a row; a face
        failing now keeps ``extra["fails"]`` > 0 (not rendered: the guard covers it)."""
        check = self._checker(engine) if self.confirm else None
        t0 = time.perf_counter()
        kept = []
        for face in found:
            # found by the detector on this very frame, and clearly
            seen_now = (
                face.extra.get("seen_at") == self._frame and face.score >= engine.detector.sure
            )
            if seen_now and check is not None:
                check.remember(image, face)
            if check is None or seen_now or check(image, face):
                face.extra["fails"] = 0
                face.extra["confirmed"] = True
                ahead = face.extra.pop("found_box", None)
                if ahead is not None:  # the check found it ahead of its refit
                    face = self._fitted_at(engine, image, face, ahead)
            else:
                face.extra["fails"] = face.extra.get("fails", 0) + 1
                # a face found on an earlier frame (the detector's thread) that is not
                # there on this one goes at once: the face moved on, or was never here
                if face.extra["fails"] >= MAX_FAILS or not face.extra.get("confirmed"):
                    self.unconfirmed_dropped += 1
                    continue
            kept.append(face)
        if check is not None and found:
            self.last_ms["confirm"] = (time.perf_counter() - t0) * 1000
        return kept

    def _fitted_at(
        self, engine: Engine, image: np.ndarray, face: TargetFace, box: np.ndarray
    ) -> TargetFace:
        """``face`` fitted again in ``box`` (where the check found it), anchored there as a
        detection would anchor it; it stays the same face (its id, template, misses)."""
        again = engine.target(image, Found(box, np.zeros((0, 2), np.float32), face.score))
        for key in ("template", "confirmed", "fails", "misses", "seen_at"):
            if key in face.extra:
                again.extra[key] = face.extra[key]
        again.track_id = face.track_id
        self.recentred += 1
        return again

    def _checker(self, engine: Engine) -> HogCheck | None:
        if self._check is None or self._check[0] is not engine:
            self._check = (engine, check_for(engine))
        return self._check[1]

    def _merge(
        self,
        engine: Engine,
        image: np.ndarray,
        tracked: list[TargetFace],
        detected: list[TargetFace],
        *,
        current: bool,
    ) -> list[TargetFace]:
        """Tracked faces the detector sees again stay; new ones are added (fitted on this
        frame unless the detection is from it: ``current``). A tracked face the detector
        misses stays while its refits hold, up to MAX_MISSES detections in a row: HOG misses
        a face now and then (blur, a turn), which must not make the swap blink."""
        kept: list[TargetFace] = []
        matched: set[int] = set()
        for face in detected:
            match = max(tracked, key=lambda t: iou(t.box, face.box), default=None)
            if match is not None and iou(match.box, face.box) > MERGE_IOU:
                if id(match) not in matched:  # else: a second detection on one face
                    matched.add(id(match))
                    # the face keeps its landmarks (no jump on a still face), and takes the
                    # detector's anchors (its box, for the engine): a refit cannot drift
                    match.extra.update(face.extra)
                    match.extra["misses"] = 0
                    if current:
                        match.extra["seen_at"] = self._frame
                    kept.append(match)
                continue
            # a new face; from an earlier frame, its landmarks are fitted on this one
            fresh = face if current else engine.refit(image, face)
            if fresh is not None and face.score < engine.detector.sure:
                # a weak find: the detector's false finds (a badge, a patch) score so, and
                # small faces; it starts a face only when the check sees one (confirm.py)
                check = self._checker(engine)
                if check is not None and not check.starts(image, fresh):
                    self.weak_ignored += 1
                    continue
            if fresh is not None:
                fresh.extra["misses"] = 0
                if current:
                    fresh.extra["seen_at"] = self._frame
                kept.append(fresh)
        for track in tracked:
            if id(track) in matched:
                continue
            track.extra["misses"] = track.extra.get("misses", 0) + 1
            if track.extra["misses"] <= MAX_MISSES:
                kept.append(track)
            else:
                self.lost += 1
        return kept

    def _one(self, found: list[TargetFace]) -> TargetFace:
        """The face to swap when only one is: the one being followed while it is there
        (the swap does not jump to a passer-by or a false detection), else the largest."""
        confirmed = [f for f in found if not f.extra.get("misses")]
        if self._tracks:
            current = self._tracks[0]
            best = max(found, key=lambda f: iou(f.box, current.box))
            # unless the detector no longer sees it while it sees another face: then the
            # face moved (or left) faster than the refit followed, and the one seen wins
            if iou(best.box, current.box) > MATCH_IOU and (
                not best.extra.get("misses") or not confirmed
            ):
                return best
        return max(confirmed or found, key=lambda f: f.size)

    def _refit_all(self, engine: Engine, image: np.ndarray) -> list[TargetFace]:
        found = []
        for track in self._tracks:
            again = engine.refit(image, track)
            if again is None:
                self.lost += 1
            else:
                found.append(again)
        self.refits += 1
        return found

    def _match(self, found: list[TargetFace], options: FaceOptions) -> list[TargetFace]:
        free = list(self._tracks)
        out = []
        for face in found:
            best, best_iou = None, MATCH_IOU
            for prev in free:
                overlap = iou(prev.box, face.box)
                if overlap > best_iou:
                    best, best_iou = prev, overlap
            if best is None:
                face.track_id = self._next_id
                self._next_id += 1
            else:
                free = [p for p in free if p is not best]
                face.track_id = best.track_id
                face.points = steady_points(best, face, options.smoothing)
            out.append(face)
        return out
