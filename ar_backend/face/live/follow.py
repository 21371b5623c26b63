"""Following faces on every frame with MediaPipe's models (face/detect/): the face detector
on every frame, the face mesh on every followed face, and a lost face's visible rest followed
by its look. The live path's tracker when the MediaPipe files are present (the dlib path,
face/live/tracker.py, when they are not); file jobs use it too.

On each frame:

1. **The detector** (BlazeFace full range: small, distant faces too) runs on the frame
   mirrored past its edges, so a face cut by the edge (rising out of the top, leaving or
   entering by a side) is found from about a fifth of it inside; each detection is its part
   inside the frame (face/detect/runners.py). While the quality governor says so
   (``detect_alternate``: at a rate the machine cannot keep up with), it runs on every other
   frame at most: a frame between is followed by the mesh alone when it fits every followed
   face in its region, keeping its size and its look (as MediaPipe's own graphs follow a
   face); any other frame runs the detector as ever.
2. **Every followed face** is fitted by the mesh in the region its last mesh gives (as
   MediaPipe's face landmark graphs follow a face without the detector), or in the region of
   the detection on it when that fit fails. The mesh's presence score says whether a face is
   there: at :data:`PRESENT` or more it is **meshed**: handed to the engine, its points in
   the engine's own layout (``engine.mesh_points``), steadied over time.
3. A face the detector sees (:data:`GUARD_SCORE` or more) that the mesh cannot fit (mostly
   out of the frame, covered, turned away) is **guarded**: not drawn on, its box given to the
   privacy guard (``extra["fails"]``), so it never goes out as it is.
4. A followed face that neither the mesh nor the detector sees any more is carried on at the
   speed it had, and kept while its visible rest there still looks as it did on the frame
   before (the grey patch matched with a normalised correlation of :data:`LOOK_NCC` or
   more): it is guarded there (a face leaving the frame: only its chin still in view) until
   its box has left the frame. Not matched (the scene cut, it turned away or stopped), or
   out, it is **gone**: nothing is drawn for it from this frame on.
5. New detections not on a followed face are fitted by the mesh: meshed, guarded (a sure
   detection), or ignored (a weak one the mesh does not confirm: a badge, a patch).

Two followed faces that come to cover one face become one (the older stays). With
``many_faces`` off, one face is handed on: the one followed longest while it is there, else
the largest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.detect.base import (
    FACE_LANDMARKERS,
    Detector,
    Found,
    Landmarker,
    Landmarks,
    create_runner,
    model_files,
)
from ar_backend.face.detect.blazeface import FULL
from ar_backend.face.detect.mesh68 import to_68
from ar_backend.face.detect.roi import Roi
from ar_backend.face.detect.runners import SsdDetector
from ar_backend.face.engines.base import Engine
from ar_backend.face.faces import TargetFace
from ar_backend.face.imaging.geometry import box_of, iou
from ar_backend.face.live.tracker import smooth_points, steady_points
from ar_backend.face.runtime.litert import ModelLoadError
from ar_backend.weights.manifest import ManifestError

PRESENT = 0.5  # the mesh's presence score from which a face is there (MediaPipe's own)
GUARD_SCORE = 0.5  # a detection this sure that the mesh cannot fit is guarded
MATCH_IOU = 0.3  # a detection on a followed face
SAME_FACE = 0.5  # two boxes sharing this much of the smaller one are one face
STALE = 0.1  # a face the detector does not see, sharing this much with one it sees: the same
LOOK_NCC = 0.6
LOOK_SLACK = 0.1  # the look is matched this share of its size around where it is carried
LOOK_SLACK_PX = 3
LOOK_FRAMES = 30  # a lost face is followed by its look this many frames at most (1 s)
LOOK_MIN_PX = 8  # a visible rest smaller than this (either side) is gone
LOOK_MIN_STD = 8.0  # a patch this flat cannot be told from the background
LOOK_MIN_SHARE = 0.2  # a lost face with less of its box in the frame is gone (an ear, a cheek)
CLOSER_FROM = 800  # px: frames this large get a closer look at a quarter a frame (many faces)
TILE = 0.55  # a quarter's share of the frame's width and height (they overlap)
EDGE_SQUARE = 0.15  # a detection this much less wide than high (or the reverse): cut
FACE_ROI_SCALE = 1.5  # the mesh's region around a face box (MediaPipe's)
LAG = 0.25  # a mesh this far (share of its size) from its detection is fitted again there
DET_LIFT = 0.1  # BlazeFace's box centre sits this much (of the face) above the mesh's box's
MAX_WEAK = 4  # weak detections fitted by the mesh per frame at most
SIZE_RANGE = (0.6, 1.6)  # a mesh whose size jumps out of this (against the last) lost it
ROI_STEADY = 0.01  # a face's region moves only by more than this share of its size
ROI_STEADY_RAD = 0.02  # or turns by more than this (about 1 degree)
NO_POINTS = np.zeros((0, 2), np.float64)

Box = np.ndarray


def overlap(a: Box, b: Box) -> float:
    """The share of the smaller box that the two boxes share."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(ix / small) if small > 0 else 0.0


def _behind(face: Box, found: Box) -> bool:
    """A mesh's face box off the detection on the same face by more than :data:`LAG` of its
    size (the detector's box reaches higher: its centre is compared a little lower)."""
    size = max(face[2] - face[0], face[3] - face[1], 1.0)
    fx, fy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    dx, dy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2 + DET_LIFT * size
    return bool(max(abs(fx - dx), abs(fy - dy)) > LAG * size)


def _near(a: Roi, b: Roi) -> bool:
    """Two regions too close to tell apart (moving a face's region by less only makes its
    mesh jitter)."""
    return (
        abs(a.cx - b.cx) < ROI_STEADY * b.size
        and abs(a.cy - b.cy) < ROI_STEADY * b.size
        and abs(a.size - b.size) < ROI_STEADY * b.size
        and abs(a.angle - b.angle) < ROI_STEADY_RAD
    )


def share_inside(box: Box, w: int, h: int) -> float:
    """The share of ``box``'s area inside a ``w`` x ``h`` frame."""
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    seen = visible(box, w, h)
    inside = max(0.0, seen[2] - seen[0]) * max(0.0, seen[3] - seen[1])
    return float(inside / area) if area > 0 else 0.0


def visible(box: Box, w: int, h: int) -> Box:
    return np.array([max(0.0, box[0]), max(0.0, box[1]), min(w, box[2]), min(h, box[3])])


@dataclass
class _Track:
    id: int
    box: Box  # the mesh's box (all its points), or the detection's when guarded
    mesh: Landmarks | None = None
    meshed: bool = False
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    look: np.ndarray | None = None  # grey patch of its visible part when last seen meshed
    look_box: Box | None = None
    roi: Roi | None = None  # the region its mesh was fitted in last
    detected: bool = True  # the detector saw it on this frame
    lost: int = 0  # frames followed by its look alone
    score: float = 0.0
    face: TargetFace | None = None  # what was handed on last (smoothing starts from it)


class FaceFollower:
    """Owned by one thread (the pipeline's process thread, or a file job's)."""

    linger_s = 0.0  # the guard keeps nothing of a face once it is gone (it knows: step 4)
    # the quality governor's (face/live/quality.py): the detector on every other frame at
    # most, while the mesh follows every face (:meth:`_without_detector`)
    detect_alternate = False

    def __init__(
        self, detector: Detector, landmarker: Landmarker, tile_detector: Detector | None = None
    ) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.tile_detector = tile_detector or detector  # (the quarters: no mirrored edges)
        self._tile = -1
        self._sharp: list[Found] | None = None
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._shape: tuple[int, ...] = ()
        self.last_ms: dict[str, float] = {}
        self.detector_error: str | None = None
        self.detections = 0
        self.detections_skipped = 0  # frames the mesh followed every face without it
        self._detected_last = True
        self.refits = 0  # mesh fits
        self.lost = 0  # faces gone
        self.unconfirmed_dropped = 0  # followed faces the mesh no longer saw and that went
        self.weak_ignored = 0  # weak detections the mesh did not confirm
        self.guarded = 0  # faces handed on to be guarded (frames x faces)

    @property
    def name(self) -> str:
        return f"{self.detector.name}+{self.landmarker.name}"

    def reset(self) -> None:
        self._tracks = []

    def detect_soon(self) -> None:
        """(The detector runs on every frame.)"""

    @property
    def tracks(self) -> list[TargetFace]:
        return [t.face for t in self._tracks if t.face is not None]

    # ---- one frame -------------------------------------------------------------------------

    def update(self, engine: Engine, image: np.ndarray, options: FaceOptions) -> list[TargetFace]:
        self.last_ms = {}
        if image.shape != self._shape:  # another camera or size: nothing followed is valid
            self.reset()
            self._shape = image.shape
        t0 = time.perf_counter()
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        fits = self._without_detector(image, grey, options)
        found: list[Found] = []
        if fits is None:
            try:
                found = self.detector.detect(image)
                if options.many_faces:  # small faces in a large frame: a closer look at a part
                    found += self._closer(image)
                found.sort(key=lambda f: -f.score)
                self.detector_error = None
            except Exception as exc:  # said in status; the faces followed are still fitted
                found = []
                self.detector_error = f"{exc.__class__.__name__}: {exc}"
            self.detections += 1
            self.last_ms["detect"] = (time.perf_counter() - t0) * 1000
        else:
            self.detections_skipped += 1
        self._detected_last = fits is None
        self._sharp = None  # the detector on the frame without its mirrored edges (_rescue)
        claimed: set[int] = set()
        kept = [
            t
            for t in self._tracks
            if self._follow(t, image, grey, found, claimed, None if fits is None else fits[t.id])
        ]
        kept.extend(self._new_faces(image, grey, found, claimed, kept))
        # two followed faces on one face: the one the detector sees stays (a face that moved
        # faster than its mesh followed leaves a fit behind on its edge), else the older
        kept.sort(key=lambda t: (not t.detected, t.id))
        unique: list[_Track] = []
        for track in kept:
            if not any(
                overlap(track.box, u.box) > (SAME_FACE if track.detected else STALE) for u in unique
            ):
                unique.append(track)
        unique.sort(key=lambda t: t.id)
        self._tracks = unique
        faces = [self._face(engine, t, options) for t in unique]
        if not options.many_faces and faces:
            faces = [self._one(unique)]
        self.guarded += sum(bool(f.extra.get("fails")) for f in faces)
        self.last_ms["mesh"] = (time.perf_counter() - t0) * 1000 - self.last_ms.get("detect", 0)
        return faces

    def _closer(self, image: np.ndarray) -> list[Found]:
        """The detector on one of the frame's quarters (each in turn, one a frame) when the
        frame is large: the whole frame shrinks to the model's 192 px, where a face under
        about 60 px across is lost (a group, far from the camera)."""
        h, w = image.shape[:2]
        if max(h, w) < CLOSER_FROM:
            return []
        self._tile = (self._tile + 1) % 4
        tw, th = round(w * TILE), round(h * TILE)
        x0 = 0 if self._tile % 2 == 0 else w - tw
        y0 = 0 if self._tile < 2 else h - th
        found = self.tile_detector.detect(image[y0 : y0 + th, x0 : x0 + tw])
        shift = np.array([x0, y0], np.float32)
        return [
            Found(f.box + np.concatenate([shift, shift]), f.keypoints + shift, f.score)
            for f in found
        ]

    def _without_detector(
        self, image: np.ndarray, grey: np.ndarray, options: FaceOptions
    ) -> dict[int, Landmarks] | None:
        """With :attr:`detect_alternate` (the quality governor's), on every other frame: each
        followed face's mesh in the region its last mesh gives, when every one of them fits
        there, keeps its size and looks as it did (what the detector would only have
        confirmed); None: the detector runs on this frame (it ran on the last one, a face is
        not meshed or lost its fit, nothing is followed, or ``many_faces``: a new face is
        never found a frame late)."""
        if (
            not self.detect_alternate
            or not self._detected_last
            or options.many_faces
            or not self._tracks
            or any(not t.meshed or t.mesh is None or t.lost for t in self._tracks)
        ):
            return None
        fits: dict[int, Landmarks] = {}
        for t in self._tracks:
            fitted = self._fit(image, self._region(t))
            if (
                fitted is None
                or not self._plausible(fitted, t)
                or not self._looks_same(t, grey, mesh_box(fitted))
            ):
                return None  # (the fits are made again beside the detector's view)
            fits[t.id] = fitted
        return fits

    def _region(self, t: _Track) -> Roi:
        """Where ``t``'s last mesh says it is, carried on as it was moving (a still face: the
        same region, so the same points)."""
        assert t.mesh is not None
        roi = self.landmarker.roi_from(t.mesh)
        vx, vy = (float(v) for v in t.velocity)
        roi = replace(roi, cx=roi.cx + vx, cy=roi.cy + vy)
        if t.roi is not None and _near(roi, t.roi):
            roi = t.roi
        t.roi = roi
        return roi

    def _follow(
        self,
        t: _Track,
        image: np.ndarray,
        grey: np.ndarray,
        found: list[Found],
        claimed: set[int],
        fit: Landmarks | None = None,
    ) -> bool:
        """``t`` on this frame (meshed, guarded, or followed by its look); False: gone.
        ``fit``: its mesh on this frame, fitted and checked without the detector
        (:meth:`_without_detector`)."""
        before = t.box
        moved = t.box + np.concatenate([t.velocity, t.velocity])
        fitted = fit
        if fitted is None and t.mesh is not None:  # where its last mesh says
            fitted = self._fit(image, self._region(t))
        if fitted is not None and not self._plausible(fitted, t):
            fitted = None
        near = [moved] if fitted is None else [moved, mesh_box(fitted)]
        match = next(
            (
                i
                for i, f in enumerate(found)
                if i not in claimed
                and any(iou(f.box, b) > MATCH_IOU or overlap(f.box, b) > SAME_FACE for b in near)
            ),
            None,
        )
        det = None if match is None else found[match]
        t.detected = match is not None
        if match is not None:
            claimed.add(match)
        if det is not None and (fitted is None or _behind(mesh_box(fitted), det.box)):
            # lost, or its mesh lagging behind where the detector sees it (a fast move):
            # fitted again on the detection
            fitted = self._fit_found(image, det) or fitted
        if (
            det is None
            and fit is None
            and fitted is not None
            and not self._looks_same(t, grey, mesh_box(fitted))
        ):
            # a mesh the detector does not back, on something that no longer looks like the
            # face did a frame ago: the face moved on faster than its region (the mesh has
            # settled on the hair or the background it left), or the scene changed
            fitted = None
        if fitted is None and det is None and t.meshed:
            fitted = self._rescue(image, grey, t, moved)
        if fitted is not None:
            step = self._step(t.mesh, fitted, image.shape)
            t.box, t.mesh, t.meshed, t.lost = mesh_box(fitted), fitted, True, 0
            t.score = fitted.score
            self._keep_look(t, grey)
            if step is not None:
                t.velocity = 0.5 * t.velocity + 0.5 * step
                return True
        elif det is not None and det.score >= GUARD_SCORE:
            t.box, t.meshed, t.lost, t.score = det.box.astype(np.float64), False, 0, det.score
        else:
            where = self._by_look(t, grey)
            if where is None:
                self.lost += 1
                if t.meshed:
                    self.unconfirmed_dropped += 1
                return False
            t.box, t.meshed = where, False
            t.lost += 1
            return True  # (its look and speed stay as when last seen)
        step = (t.box[:2] + t.box[2:]) / 2 - (before[:2] + before[2:]) / 2
        t.velocity = 0.5 * t.velocity + 0.5 * step
        return True

    def _new_faces(
        self,
        image: np.ndarray,
        grey: np.ndarray,
        found: list[Found],
        claimed: set[int],
        kept: list[_Track],
    ) -> list[_Track]:
        fresh: list[_Track] = []
        weak = 0
        for i, det in enumerate(found):
            if i in claimed or any(overlap(det.box, t.box) > SAME_FACE for t in kept + fresh):
                continue
            if det.score < GUARD_SCORE:
                weak += 1
                if weak > MAX_WEAK:  # (each costs a mesh fit)
                    self.weak_ignored += 1
                    continue
            fitted = self._fit_found(image, det)
            if fitted is not None:
                box = mesh_box(fitted)
                if any(overlap(box, t.box) > SAME_FACE for t in kept + fresh):
                    continue  # a second detection on a face already followed
                track = _Track(self._next_id, box, fitted, True, score=fitted.score)
                self._keep_look(track, grey)
            elif det.score >= GUARD_SCORE:
                track = _Track(self._next_id, det.box.astype(np.float64), score=det.score)
            else:
                self.weak_ignored += 1
                continue
            self._next_id += 1
            fresh.append(track)
        return fresh

    @staticmethod
    def _step(
        before: Landmarks | None, after: Landmarks, shape: tuple[int, ...]
    ) -> np.ndarray | None:
        """How far the face moved: the mean step of its points inside the frame on both
        frames (a mesh cut by the frame's edge is squeezed there: its box lags behind)."""
        if before is None:
            return None
        h, w = shape[:2]
        a, b = to_68(before.points), to_68(after.points)
        inside = (
            (a[:, 0] >= 0)
            & (a[:, 0] < w)
            & (a[:, 1] >= 0)
            & (a[:, 1] < h)
            & (b[:, 0] >= 0)
            & (b[:, 0] < w)
            & (b[:, 1] >= 0)
            & (b[:, 1] < h)
        )
        if inside.sum() < 10:
            return None
        step: np.ndarray = (b[inside] - a[inside]).mean(axis=0)
        return step

    def _rescue(
        self, image: np.ndarray, grey: np.ndarray, t: _Track, moved: Box
    ) -> Landmarks | None:
        """A face followed on the frame before that neither its mesh nor the detector finds
        now: the mesh in its last region as it was (it turned back: carried the wrong way),
        then the detector on the frame without mirrored edges (sharper: a small face), once
        a frame; its fit kept when it looks as the face did."""
        if t.mesh is not None:
            fitted = self._fit(image, self.landmarker.roi_from(t.mesh))
            if fitted is not None and self._looks_same(t, grey, mesh_box(fitted)):
                return fitted
        if self._sharp is None:
            self._sharp = self.tile_detector.detect(image)
        for found in self._sharp:
            if iou(found.box, moved) > MATCH_IOU or overlap(found.box, moved) > SAME_FACE:
                fitted = self._fit_found(image, found)
                if fitted is not None:
                    return fitted
        return None

    def _fit_found(self, image: np.ndarray, found: Found) -> Landmarks | None:
        """The mesh on a detection: in the region its box and eyes give; for a face cut by
        the frame's edge (the detection is its part inside, its keypoints half its mirror
        image's), in its box made square again past that edge, upright, if that fails."""
        fitted = self._fit(image, self.landmarker.roi_for(found))
        if fitted is not None:
            return self._settled(image, fitted)
        h, w = image.shape[:2]
        x0, y0, x1, y1 = (float(v) for v in found.box)
        side = max(x1 - x0, y1 - y0)
        if side - min(x1 - x0, y1 - y0) < EDGE_SQUARE * side:
            return None  # not cut: nothing to add
        if x0 <= 0 < x1 - side + 1:
            x0 = x1 - side
        elif x1 >= w:
            x1 = x0 + side
        if y0 <= 0:
            y0 = y1 - side
        elif y1 >= h:
            y1 = y0 + side
        roi = Roi((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * FACE_ROI_SCALE, 0.0)
        return self._fit(image, roi)

    def _settled(self, image: np.ndarray, fitted: Landmarks) -> Landmarks:
        """A fit on a detection fitted once more in the region its own points give (where
        MediaPipe's graph fits it on the next frame): the detection's box and eyes set a
        region upright and high on a tilted face looking down, where the mesh lands on the
        brow with the mouth on the nose; in its own region it lands on the face."""
        again = self._fit(image, self.landmarker.roi_from(fitted))
        return fitted if again is None or not _same_size(again, fitted) else again

    def _fit(self, image: np.ndarray, roi: Roi) -> Landmarks | None:
        self.refits += 1
        fitted = self.landmarker.fit(image, roi)
        return fitted if fitted.score >= PRESENT else None

    @staticmethod
    def _plausible(fitted: Landmarks, t: _Track) -> bool:
        """A fit from the last mesh's region that kept its size (a mesh that shrank or grew
        at once has slid onto something else)."""
        return t.mesh is None or _same_size(fitted, t.mesh)

    # ---- a lost face's look ------------------------------------------------------------------

    @staticmethod
    def _matches(t: _Track, grey: np.ndarray, ahead: Box, w: int, h: int) -> bool:
        """Whether the face's last look (its part that lands inside the frame at ``ahead``)
        is found there, give or take :data:`LOOK_SLACK` of its size."""
        assert t.look is not None
        seen = visible(ahead, w, h)
        if seen[2] - seen[0] < LOOK_MIN_PX or seen[3] - seen[1] < LOOK_MIN_PX:
            return False
        th, tw = t.look.shape
        x0, y0 = round(seen[0] - ahead[0]), round(seen[1] - ahead[1])
        x1, y1 = tw - round(ahead[2] - seen[2]), th - round(ahead[3] - seen[3])
        patch = t.look[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
        if min(patch.shape) < LOOK_MIN_PX or float(patch.std()) < LOOK_MIN_STD:
            return False
        slack = int(max(LOOK_SLACK_PX, LOOK_SLACK * max(patch.shape)))
        sx0, sy0 = int(max(0, seen[0] - slack)), int(max(0, seen[1] - slack))
        sx1, sy1 = int(min(w, seen[2] + slack)), int(min(h, seen[3] + slack))
        area = grey[sy0:sy1, sx0:sx1]
        if area.shape[0] < patch.shape[0] or area.shape[1] < patch.shape[1]:
            return False
        _, best, _, _ = cv2.minMaxLoc(cv2.matchTemplate(area, patch, cv2.TM_CCOEFF_NORMED))
        return bool(best >= LOOK_NCC)

    def _looks_same(self, t: _Track, grey: np.ndarray, box: Box) -> bool:
        """Whether the face's last look is found at ``box`` on this frame."""
        if t.look is None or t.look_box is None:
            return True  # nothing to compare with
        h, w = grey.shape
        shift = (box[:2] + box[2:]) / 2 - (t.look_box[:2] + t.look_box[2:]) / 2
        return self._matches(t, grey, t.look_box + np.concatenate([shift, shift]), w, h)

    def _keep_look(self, t: _Track, grey: np.ndarray) -> None:
        """Its visible part's grey patch as the mesh saw it (what it is matched against once
        lost: never what a lost face's box lies on, which may be background)."""
        h, w = grey.shape
        x0, y0, x1, y1 = (round(v) for v in visible(t.box, w, h))
        if x1 - x0 >= LOOK_MIN_PX and y1 - y0 >= LOOK_MIN_PX:
            t.look = grey[y0:y1, x0:x1].copy()
            t.look_box = np.array([x0, y0, x1, y1], np.float64)
        else:
            t.look = t.look_box = None

    def _by_look(self, t: _Track, grey: np.ndarray) -> Box | None:
        """Where the lost face is now, or None: gone. It is carried on at the speed it had
        when last seen (a face leaving the frame goes on leaving: its box goes out, and the
        face with it), and kept while its visible rest there still looks as it did a frame
        before (a cut, a turn away, or a stop leave it behind: gone)."""
        if t.look is None or t.look_box is None or t.lost >= LOOK_FRAMES:
            return None
        h, w = grey.shape
        shift = np.concatenate([t.velocity, t.velocity])
        if share_inside(t.box + shift, w, h) < LOOK_MIN_SHARE:
            return None  # (all but) out of the frame
        ahead = t.look_box + shift * (t.lost + 1)  # the patch, carried on as the face moved
        if not self._matches(t, grey, ahead, w, h):
            return None
        return np.asarray(t.box + shift, np.float64)  # (t.box: where it was a frame ago)

    # ---- what is handed on -----------------------------------------------------------------

    def _face(self, engine: Engine, t: _Track, options: FaceOptions) -> TargetFace:
        h, w = self._shape[:2]
        if not t.meshed or t.mesh is None:
            box = visible(t.box, w, h)
            t.face = None  # smoothing starts again from the next fit
            return TargetFace(box, NO_POINTS, t.score, t.id, {"fails": 1, "lost": t.lost})
        raw = np.asarray(engine.mesh_points(t.mesh.points), np.float64)
        mesh = np.asarray(t.mesh.points, np.float64)
        face = TargetFace(t.box, raw, t.score, t.id, {"mesh": mesh, "presence": t.score}, raw=raw)
        prev = t.face
        if prev is not None and prev.raw is not None and prev.raw.shape == raw.shape:
            face.points = steady_points(prev, face, options.smoothing)
            last = prev.extra.get("mesh")
            if face.points is prev.points:  # a still face: its mesh as it was too
                face.extra["mesh"] = last
            elif isinstance(last, np.ndarray) and last.shape == mesh.shape:
                face.extra["mesh"] = smooth_points(last, mesh, face.size, options.smoothing)
        t.face = face
        return face

    def _one(self, tracks: list[_Track]) -> TargetFace:
        """The face handed on when one is: the one followed longest while it is there (the
        swap does not jump to a passer-by; guarded when it cannot be swapped)."""
        best = min(tracks, key=lambda t: t.id)
        h, w = self._shape[:2]
        if best.meshed and best.face is not None:
            return best.face
        box = visible(best.box, w, h)
        return TargetFace(box, NO_POINTS, best.score, best.id, {"fails": 1, "lost": best.lost})


def _same_size(fitted: Landmarks, last: Landmarks) -> bool:
    """Whether a mesh's size is within :data:`SIZE_RANGE` of another's."""
    a, b = mesh_box(fitted), mesh_box(last)
    ratio = max(a[2] - a[0], a[3] - a[1]) / max(b[2] - b[0], b[3] - b[1], 1e-6)
    return bool(SIZE_RANGE[0] < ratio < SIZE_RANGE[1])


FACE_BOX_POINTS = [8, *range(17, 68)]  # dlib's layout: the chin, brows, eyes, nose and mouth


def mesh_box(landmarks: Landmarks) -> Box:
    """A mesh's face box, whatever the engine's points: around the chin, brows, eyes, nose
    and mouth (dlib's 68-point layout, without the jaw's sides: as dlib's detector boxes a
    face; the guard grows it by half each way)."""
    return np.asarray(box_of(to_68(landmarks.points)[FACE_BOX_POINTS]), np.float64)


# ---- which tracker follows the faces ---------------------------------------------------------

WEAK = 0.2  # detections from this score are fitted by the mesh (which confirms them or not)
EDGE_PAD = 0.15  # the frame mirrored past each edge by this share of its longest side
FOLLOW_SPEC = replace(
    FULL, decode=replace(FULL.decode, min_score=WEAK), pad=EDGE_PAD
)  # BlazeFace full range as the follower runs it


def mediapipe_follower(cfg: FaceConfig) -> tuple[FaceFollower | None, str | None]:
    """The follower on MediaPipe's detector and mesh, or None and why it cannot run here
    (its files missing or corrupt, with the fetch command; ``face.detection.backend: dlib``):
    the dlib path follows the faces then."""
    if cfg.detection.backend == "dlib":
        return None, "face.detection.backend is dlib"
    try:
        files = model_files(cfg)
        detector = SsdDetector("blazeface_full", FOLLOW_SPEC, files)
        landmarker = create_runner(FACE_LANDMARKERS, "face_mesh", cfg)
    except (FileNotFoundError, ManifestError, ModelLoadError) as exc:
        return None, str(exc)
    return FaceFollower(detector, landmarker, detector.with_options(pad=0.0)), None
