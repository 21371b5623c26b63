"""``Occlusion``: after the swap, what is in front of each face is put back as the camera saw
it: hands (hands.py) and objects (imaging/occluders.py: not the face's skin or features, or
not the person by person segmentation, looked at on a square around each face).

A face's regions (outline, features, where its skin is sampled) come from its 68 points; a
face that carries only 5 keypoints (the neural engines': SCRFD's eyes, nose and mouth
corners) uses the face mesh MediaPipe's follower fitted on it this frame (``extra['mesh']``),
or else has the mesh fitted in the region its box and eyes give; its 68-point view is read.

Its models are the verified files of the manifest (mediapipe_hands, mediapipe_face,
mediapipe_segmentation), opened on first use. Live, without them the swap goes on without
occlusion and status says why; a file job asking for it fails with the reason.

Live, what is in front is worked out on the camera's frame while the faces are being
rendered (:meth:`Occlusion.begin` on its own thread, :meth:`Occlusion.finish` puts it back):
its models and OpenCV let go of the interpreter lock, so the two share the machine's cores
and the frame waits for the longer of the two, not for their sum.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ar_backend.face.detect.base import (
    FACE_LANDMARKERS,
    HAND_DETECTORS,
    HAND_LANDMARKERS,
    Landmarker,
    ModelFiles,
)
from ar_backend.face.detect.face_mesh import PRESENT
from ar_backend.face.detect.mesh68 import to_68
from ar_backend.face.detect.person import FILES as PERSON_FILES
from ar_backend.face.detect.person import PersonSegmenter
from ar_backend.face.detect.roi import roi_around, rotation
from ar_backend.face.faces import TargetFace
from ar_backend.face.imaging import occluders
from ar_backend.face.occlusion.hands import HandTracker
from shared.logs import FaultLatch
from shared.wire.backend import OcclusionStatus

log = logging.getLogger(__name__)

PALMS = "palm_lite"
HANDS = "hand_lite"
MESH = "face_mesh"  # the regions of a face with 5 keypoints only
MESH_POINTS = 468  # a face mesh the follower hands on in extra["mesh"]
MESH_ROI = 1.5  # the mesh's region: the face's box grown this much (face_mesh.py's)
EYES_AGREE = 0.35  # the mesh's eyes within this share of the eye distance of the keypoints
AROUND = 2.0  # person segmentation looks at a square this many face sizes across
WEIGHT = 0.1  # each frame's share of the cost's moving mean
MOST_COVERED = 0.6  # a face's visible box more covered than this: the face itself, kept swapped
RECHECK_S = 5.0  # missing model files are looked for again this often
# the quality governor's levels of detail (face/live/quality.py): person segmentation every
# other frame from level 1 (the frame between takes the last one's map of the same square),
# the palm detector every HANDS_LESS_OFTEN frames from level 2, and at level 3 all of it on
# every other frame (the frame between takes the last one's mask where no face moved more
# than MAP_MOVED_PX: at a 60 fps source, what a 30 fps one gets on every frame)
DETAIL_LEVELS = 4
HANDS_LESS_OFTEN = 15
MAP_MOVED_PX = 8  # a face's square moved at most this far: the last frame's map still fits

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass
class Pending:
    """What is in front of some faces, being worked out beside the render (:meth:`begin`)."""

    original: Image
    faces: list[TargetFace]
    mask: Future[tuple[Box, Mask]]
    ms: float = 0.0  # its own time, on its thread


class Occlusion:
    """What is in front of the faces, for one stream of frames (the live path's, or a file
    job's): live, :meth:`begin` and :meth:`finish` on each swapped frame, in order; a file
    job, :meth:`put_back`."""

    def __init__(self, files: ModelFiles, every: int = 5) -> None:
        self.files = files
        self.every = every
        self._hands: HandTracker | None = None
        self._person: PersonSegmenter | None = None
        self._mesh: Landmarker | None = None
        self.fault = FaultLatch(log, "occlusion")
        self.ms: float | None = None
        self.frames_occluded = 0
        self.hands_in_view = 0
        self._checked: tuple[float, str | None] | None = None  # (when, the reason)
        self._opening = threading.Lock()
        self._loading = threading.Event()  # a thread is opening the models
        self._beside: ThreadPoolExecutor | None = None  # begin()'s thread, made on first use
        self.detail = 0  # the governor's level (set_detail): 0 full
        self._people: dict[int, tuple[Box, npt.NDArray[np.float32]]] = {}  # face i: its map
        self._frames = 0
        self._last: tuple[list[Box], tuple[Box, Mask]] | None = None  # (faces' boxes, mask)
        self.masks_reused = 0

    def unavailable_reason(self) -> str | None:
        """Why it cannot run here (a model file missing or corrupt, and the fetch command)."""
        files = (
            *HAND_DETECTORS.get(PALMS).files,
            *HAND_LANDMARKERS.get(HANDS).files,
            *FACE_LANDMARKERS.get(MESH).files,
            *PERSON_FILES,
        )
        return self.files.problem(files)

    def _reason_now(self) -> str | None:
        """:meth:`unavailable_reason` looked at once a few seconds (files fetched meanwhile
        are taken up without a restart)."""
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] > RECHECK_S:
            self._checked = (now, self.unavailable_reason())
        return self._checked[1]

    def open(self) -> tuple[HandTracker, PersonSegmenter]:
        """Its models, opened once (FileNotFoundError saying why when their files are not
        here); the hand tracker is set last, so a frame that sees it sees them all."""
        with self._opening:
            if self._hands is None or self._person is None:
                palms = HAND_DETECTORS.get(PALMS).create(self.files)
                landmarker = HAND_LANDMARKERS.get(HANDS).create(self.files)
                self._mesh = FACE_LANDMARKERS.get(MESH).create(self.files)
                self._person = PersonSegmenter(self.files)
                every = HANDS_LESS_OFTEN if self.detail >= 2 else self.every
                self._hands = HandTracker(palms, landmarker, every=every)
            return self._hands, self._person

    def _open_soon(self) -> None:
        """Open the models off the live path (once at a time): frames go out swapped, without
        occlusion, until they are; a failure is said in status."""
        if self._loading.is_set():
            return
        self._loading.set()

        def load() -> None:
            try:
                t0 = time.perf_counter()
                self.open()
                log.info("occlusion ready in %.1f s", time.perf_counter() - t0)
            except Exception as exc:  # status says why until it works
                self.fault.fault(f"{exc.__class__.__name__}: {exc}")
            finally:
                self._loading.clear()

        threading.Thread(target=load, name="occlusion-load", daemon=True).start()

    def regions(self, image: Image, face: TargetFace) -> occluders.FaceRegions | None:
        """The face's outline, features and skin sample: from its 68 points, or (5 keypoints
        only) from the face mesh fitted on it; None when the mesh finds no face there."""
        if len(face.points) >= 68:
            return occluders.regions68(face.points[:68])
        mesh_now = face.extra.get("mesh")
        if isinstance(mesh_now, np.ndarray) and mesh_now.shape[0] == MESH_POINTS:
            # MediaPipe's follower fitted it on this frame (face/live/follow.py): no new fit
            return occluders.regions68(to_68(mesh_now))
        if self._mesh is None or len(face.points) < 2:
            return None
        # SCRFD's keypoints: the eye on the image's left first (the mesh's right eye)
        eyes = np.asarray(face.points, np.float32)[:2, :2]
        box = np.asarray(face.box, np.float32)
        roi = roi_around(box, rotation(eyes[0], eyes[1], 0.0), MESH_ROI)
        mesh = self._mesh.fit(image, roi)
        if mesh.score < PRESENT:
            return None
        mesh = self._mesh.fit(image, self._mesh.roi_from(mesh))  # centred on the face now
        if mesh.score < PRESENT:
            return None
        points = to_68(mesh.points)
        # the mesh is this face's: its eyes where the keypoints put them
        found = np.array([points[36:42].mean(axis=0), points[42:48].mean(axis=0)])
        apart = max(float(np.linalg.norm(eyes[1] - eyes[0])), 1.0)
        if float(np.linalg.norm(found - eyes, axis=1).max()) > EYES_AGREE * apart:
            return None
        return occluders.regions68(points)

    def reset(self) -> None:
        """Forget the hands followed (a new source, a cut)."""
        if self._hands is not None:
            self._hands.reset()
        self._last = None

    def mask(self, image: Image, faces: list[TargetFace]) -> npt.NDArray[np.uint8]:
        """What is in front of ``faces`` in ``image`` (the frame before the swap), as a mask
        the size of the frame."""
        (x0, y0, x1, y1), near = self.mask_near(image, faces)
        out = np.zeros(image.shape[:2], np.uint8)
        out[y0:y1, x0:x1] = near
        return out

    def mask_near(self, image: Image, faces: list[TargetFace]) -> tuple[Box, Mask]:
        """What is in front of ``faces`` in ``image``, worked out on the part of the frame
        round them only (the squares person segmentation looks at): that part (x0, y0, x1,
        y1) and its mask. Its cost follows the faces, not the frame (a 1080p frame's pixels
        are never all gone over)."""
        hands, person = self.open()
        h, w = image.shape[:2]
        boxes = [np.asarray(f.box, np.float64) for f in faces]
        self._frames += 1
        held = [_int_box(box) for box in boxes]
        last = self._last
        if (
            self.detail >= 3
            and self._frames % 2 == 0
            and last is not None
            and len(last[0]) == len(held)
            and all(_moved(a, b) <= MAP_MOVED_PX for a, b in zip(last[0], held, strict=True))
        ):
            self.masks_reused += 1
            return last[1]
        found = hands.update(image, boxes)
        self.hands_in_view = len(found)
        squares = [_square(box, AROUND, w, h) for box in boxes]
        x0, y0 = min(q[0] for q in squares), min(q[1] for q in squares)
        x1, y1 = max(q[2] for q in squares), max(q[3] for q in squares)
        view = image[y0:y1, x0:x1]
        to_view = np.array([-x0, -y0], np.float64)
        out = np.zeros(view.shape[:2], np.uint8)
        for hand in found:
            out |= occluders.hand_mask(np.asarray(hand.points)[:, :2] + to_view, view.shape)
        prob = np.ones(view.shape[:2], np.float32)  # outside the squares: the person
        for i, (sx0, sy0, sx1, sy1) in enumerate(squares):
            if sx1 - sx0 >= 16 and sy1 - sy0 >= 16:
                prob[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = self._person_map(
                    person, image, (sx0, sy0, sx1, sy1), i
                )
        for face in faces:
            regions = self.regions(image, face)
            if regions is not None:
                out |= occluders.object_mask(view, occluders.moved(regions, to_view), prob, out)
        near = np.zeros(view.shape[:2], np.uint8)  # only what is over a face matters
        for box in boxes:
            nx0, ny0, nx1, ny1 = _square(box, 1.2, w, h)
            near[ny0 - y0 : ny1 - y0, nx0 - x0 : nx1 - x0] = 255
        local = [box + np.tile(to_view, 2) for box in boxes]
        result = (x0, y0, x1, y1), _never_the_whole_face(out & near, local)
        self._last = held, result
        return result

    def _person_map(
        self, person: PersonSegmenter, image: Image, square: Box, i: int
    ) -> npt.NDArray[np.float32]:
        """Person segmentation's probability on a face's square: from level 1 of detail, on
        every other frame the last one's map of that face's square (as large: it moved by
        a few pixels at most between two frames)."""
        x0, y0, x1, y1 = square
        last = self._people.get(i)
        if (
            1 <= self.detail < 3  # (at 3 every other frame is not worked out at all)
            and self._frames % 2 == 0
            and last is not None
            and last[1].shape == (y1 - y0, x1 - x0)
            and _moved(last[0], square) <= MAP_MOVED_PX
        ):
            return last[1]
        prob = person.mask(image[y0:y1, x0:x1])
        self._people[i] = (square, prob)
        return prob

    def set_detail(self, level: int) -> None:
        """The quality governor's level (0 full .. DETAIL_LEVELS - 1): see DETAIL_LEVELS."""
        self.detail = max(0, min(DETAIL_LEVELS - 1, level))
        every = HANDS_LESS_OFTEN if self.detail >= 2 else self.every
        if self._hands is not None:
            self._hands.every = every

    def put_back(self, original: Image, swapped: Image, faces: list[TargetFace]) -> Image:
        """``swapped`` (in place, and returned) with what is in front of ``faces`` put back
        from ``original`` (the frame before the swap); its models are opened on first use
        (FileNotFoundError saying why when their files are not here). A file job calls this:
        a failure raises."""
        if not faces:
            return swapped
        self.open()  # (opening the models is not its cost per frame)
        t0 = time.perf_counter()
        out = self._put_back_near(original, swapped, self.mask_near(original, faces))
        ms = (time.perf_counter() - t0) * 1000
        self.ms = ms if self.ms is None else self.ms * (1 - WEIGHT) + ms * WEIGHT
        return out

    def _put_back_near(self, original: Image, swapped: Image, near: tuple[Box, Mask]) -> Image:
        (x0, y0, x1, y1), mask = near
        part = swapped[y0:y1, x0:x1]
        back = occluders.put_back(original[y0:y1, x0:x1], part, mask)
        if back is not part:
            part[:] = back
        self.frames_occluded += bool(mask.any())
        return swapped

    def begin(self, original: Image, faces: list[TargetFace]) -> Pending | None:
        """Start working out what is in front of ``faces`` in ``original`` (the camera's
        frame, left untouched until :meth:`finish`) on its own thread, while the caller
        renders the swap; None when there is nothing to do or its models are not open yet
        (they are opened on a thread of their own, never on the live path)."""
        if not faces:
            return None
        if self._hands is None:
            if self._reason_now() is None:
                self._open_soon()
            return None
        if self._beside is None:
            self._beside = ThreadPoolExecutor(1, thread_name_prefix="occlusion")
        pending = Pending(original, list(faces), Future())

        def work() -> tuple[Box, Mask]:
            t0 = time.perf_counter()
            try:
                return self.mask_near(original, pending.faces)
            finally:
                pending.ms = (time.perf_counter() - t0) * 1000

        pending.mask = self._beside.submit(work)
        return pending

    def finish(self, pending: Pending, swapped: Image) -> Image:
        """``swapped`` with what :meth:`begin` found in front put back (waits for it); on a
        failure (logged once, said in status) the swap goes out as it is."""
        t0 = time.perf_counter()
        try:
            out = self._put_back_near(pending.original, swapped, pending.mask.result())
        except Exception as exc:
            if self.fault.fault(f"{exc.__class__.__name__}: {exc}"):
                log.debug("occlusion failed", exc_info=True)
            return swapped
        self.fault.clear()
        ms = pending.ms + (time.perf_counter() - t0) * 1000  # (its work, not the wait)
        self.ms = ms if self.ms is None else self.ms * (1 - WEIGHT) + ms * WEIGHT
        return out

    def close(self) -> None:
        """Its thread stopped (a frame's work in progress finishes first)."""
        if self._beside is not None:
            self._beside.shutdown(wait=True)
            self._beside = None

    def status(self, on: bool) -> OcclusionStatus:
        """``/face/status`` ``occlusion``, built as its wire model (every field declared)."""
        reason = self.unavailable_reason()
        return OcclusionStatus(
            on=on,
            available=reason is None,
            reason=reason,
            ms=None if self.ms is None or not on else round(self.ms, 2),
            hands=self.hands_in_view if on else 0,
            frames_occluded=self.frames_occluded,
            error=self.fault.active if on else None,
        )


def _never_the_whole_face(
    mask: npt.NDArray[np.uint8], boxes: list[npt.NDArray[np.float64]]
) -> npt.NDArray[np.uint8]:
    """``mask`` less what it says over a face it covers almost wholly (more than
    :data:`MOST_COVERED` of what of its box is in the frame): that is the face itself taken
    for an object (a face mostly past the frame's edge, its sliver unlike the skin sampled
    off-frame), and putting it back would send the real face out; the swap stays there."""
    h, w = mask.shape[:2]
    for box in boxes:
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        covered = float((mask[y0:y1, x0:x1] > 0).mean())
        if covered > MOST_COVERED:
            sx0, sy0, sx1, sy1 = _square(box, 1.2, w, h)
            mask[sy0:sy1, sx0:sx1] = 0
    return mask


def _int_box(box: npt.NDArray[np.float64]) -> Box:
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    return x0, y0, x1, y1


def _moved(a: Box, b: Box) -> int:
    """How far a box moved between two frames (its largest corner move, px)."""
    return max(abs(u - v) for u, v in zip(a, b, strict=True))


def _square(
    box: npt.NDArray[np.float64], times: float, w: int, h: int
) -> tuple[int, int, int, int]:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = max(box[2] - box[0], box[3] - box[1]) * times / 2
    return (
        int(max(0, cx - half)),
        int(max(0, cy - half)),
        int(min(w, cx + half)),
        int(min(h, cy + half)),
    )
