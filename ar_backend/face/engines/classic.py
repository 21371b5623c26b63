"""``classic``: dlib landmarks, shape transfer, Delaunay warp, colour match, blend.

Works offline from pip alone (dlib-bin + face_recognition_models).

Identity lives in the shape of brows, eyes, nose and mouth as much as in the skin: warping
the source texture onto the target's own landmarks keeps the target's geometry and with it
much of the target's identity. So the inner landmarks are moved to the source's shape
(similarity-aligned to the target, so roll and scale are the target's), while the jaw line
stays the target's for the blend. On turned heads the change is tempered, and any triangle
the move would fold over is pulled back, so the jaw does not tear.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.detect import FACE_DETECTORS, FACE_LANDMARKERS, Found, create_runner
from ar_backend.face.detect.dlib68 import Dlib68
from ar_backend.face.detect.dlib_descriptor import DlibDescriptor
from ar_backend.face.detect.mesh68 import to_68
from ar_backend.face.engines.base import EngineOptions, EngineType, own_options, register
from ar_backend.face.errors import SourceTooSmall
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging import blend, geometry, outline, skin
from ar_backend.face.imaging.warp import clip_box, warp_to
from ar_backend.face.people import faceset
from ar_backend.face.runtime.modelfiles import DLIB_LANDMARKS_68, ModelMissing, dlib_model
from shared.messages import msg

UPRIGHT_REFIT_DEG = 10.0
ANGLE_STEP_DEG = 2.0
SHIFT_STEP_PX = 1.5
CHASE = 0.06  # a refit's move over this share of the face's size is fitted a second time
LIKENESS_SHADE = (
    3.0  # likeness 1: the frame's shading taken at 4x the scale (face/imaging/outline.py)
)
DETECTOR = "dlib_hog"  # face/detect/, by name
LANDMARKER = "dlib68"  # the 68 points the warp, the features moved and the outline are written for
SOURCE_WORK_PX = 220  # source faces smaller than this are upscaled (with sharpening) once


class ClassicOptions(EngineOptions):
    """The classic engine's own options (``engine_options.classic``)."""

    shape_strength: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="How far brows, eyes, nose and mouth take the source's shape (0: the "
        "target's own shape, 1: the source's).",
    )


class ClassicEngine:
    name = "classic"

    refit_detects = False  # a refit fits landmarks: the per-frame check confirms the face

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self.detector = create_runner(FACE_DETECTORS, DETECTOR, cfg)
        landmarker = create_runner(FACE_LANDMARKERS, LANDMARKER, cfg)
        assert isinstance(landmarker, Dlib68)  # fitted in a box (fit(), refit())
        self.landmarker = landmarker
        self.descriptor = DlibDescriptor()

    # ---- finding faces ---------------------------------------------------------------------

    def fit(
        self, image: np.ndarray, box: np.ndarray, roll: float | None = None
    ) -> tuple[np.ndarray, float]:
        """68 landmarks in the box, and the head's tilt used; a tilted head is fitted upright.

        dlib's landmark model was trained on upright faces: on a head tilted by more than
        about 10 degrees the jaw points drift, and the swap's jaw with them. So a first
        fit's eye line gives the tilt (or ``roll``, known from the frame before, saves that
        fit), the box's neighbourhood is rotated upright about the box's centre, fitted
        there, and the points are rotated back. The tilt goes in steps of ANGLE_STEP_DEG so
        the same face gives the same fit.
        """
        if roll is None:
            pts = self.landmarker.landmarks(image, box)
            roll = _step(geometry.roll_degrees(pts))
            if abs(roll) < UPRIGHT_REFIT_DEG:
                return pts, roll
        elif abs(roll) < UPRIGHT_REFIT_DEG:
            return self.landmarker.landmarks(image, box), roll
        centre = np.round((box[:2] + box[2:]) / 2)
        half = geometry.box_size(box) * 1.3
        x0, y0, x1, y1 = clip_box(np.concatenate([centre - half, centre + half]), image.shape)
        crop = image[y0:y1, x0:x1]
        local = centre - (x0, y0)
        rot = cv2.getRotationMatrix2D((float(local[0]), float(local[1])), roll, 1.0)
        upright = cv2.warpAffine(crop, rot, (crop.shape[1], crop.shape[0]), flags=cv2.INTER_LINEAR)
        fitted = self.landmarker.landmarks(upright, box - np.concatenate([(x0, y0), (x0, y0)]))
        back = cv2.invertAffineTransform(rot)
        return geometry.apply(back, fitted) + np.array([x0, y0], np.float64), roll

    def _with_landmarks(self, image: np.ndarray, box: np.ndarray, score: float) -> TargetFace:
        pts, roll = self.fit(image, box)
        size = max(geometry.box_size(geometry.box_of(pts)), 1.0)
        # refits reuse the detector's box, moved with the face: its size stays the
        # detector's, so the fit cannot drift in scale between detections
        extra = {
            "det_box": box,
            "det_centre": pts.mean(axis=0),
            "anchor_size": size,
            "shift": np.zeros(2),
            "roll": roll,
        }
        return TargetFace(box=box, points=pts, score=score, extra=extra)

    def target(self, image: np.ndarray, found: Found) -> TargetFace:
        """The face in the detector's box, its landmarks fitted (upright: :meth:`fit`) and
        anchored for refits. Also where the per-frame check found a face ahead of its refit
        (face/live/confirm.py)."""
        return self._with_landmarks(image, found.box, found.score)

    def mesh_points(self, mesh: np.ndarray) -> np.ndarray:
        """dlib's 68 points, from the mesh (face/detect/mesh68.py)."""
        return to_68(mesh)

    def refit(self, image: np.ndarray, face: TargetFace) -> TargetFace | None:
        extra = face.extra
        if "det_box" not in extra:
            return None
        last = face.raw if face.raw is not None else face.points  # measured, not smoothed
        # the box moves with the face and the tilt follows it, each only once the change
        # is clear (hysteresis): on a still face box and tilt, and so the fit, repeat exactly
        want = last.mean(axis=0) - extra["det_centre"]
        if np.abs(want - extra["shift"]).max() >= SHIFT_STEP_PX:
            extra["shift"] = np.round(want)
        roll = geometry.roll_degrees(last)
        if abs(roll - extra["roll"]) >= ANGLE_STEP_DEG:
            extra["roll"] = _step(roll)
        h, w = image.shape[:2]
        for _ in range(2):
            box = extra["det_box"] + np.concatenate([extra["shift"], extra["shift"]])
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            if not (0 <= cx < w and 0 <= cy < h):
                return None  # it left the frame
            pts, _ = self.fit(image, box, roll=extra["roll"])
            # a fast move: the fit in the box where the face was reaches only part of the
            # way to where it is now (and falls further behind each frame); fitted again
            # in the box moved by what the first fit saw
            moved = pts.mean(axis=0) - extra["det_centre"] - extra["shift"]
            if np.abs(moved).max() < CHASE * float(extra["anchor_size"]):
                break
            extra["shift"] = np.round(extra["shift"] + moved)
        # a fit that collapsed or exploded against the detector's last view has lost it
        ratio = geometry.box_size(geometry.box_of(pts)) / float(extra["anchor_size"])
        if not 0.67 < ratio < 1.5:
            return None
        return TargetFace(
            box=box, points=pts, score=face.score, track_id=face.track_id, extra=extra
        )

    # ---- who it is (reference mode, face map) ------------------------------------------------

    def describe(self, image: np.ndarray, face: TargetFace) -> np.ndarray:
        """dlib's 128-d face descriptor (two photos of one person: under 0.6 apart)."""
        return self.descriptor.embedding(image, face.box)

    @staticmethod
    def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b))

    # ---- the source ------------------------------------------------------------------------

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace:
        size = geometry.box_size(geometry.box_of(face.points))
        if size < self.cfg.min_source_px:
            raise SourceTooSmall(
                f"the face is {size:.0f} px across; at least {self.cfg.min_source_px} px is "
                "needed for a usable swap (use a larger or closer photo)"
            )
        notes = []
        x0, y0, x1, y1 = clip_box(geometry.box_of(face.points), image.shape, margin=0.35)
        crop = image[y0:y1, x0:x1]
        pts = face.points - (x0, y0)
        scale = 1.0
        if size < SOURCE_WORK_PX:
            scale = SOURCE_WORK_PX / size
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            soft = cv2.GaussianBlur(crop, (0, 0), 1.0 * scale)
            crop = cv2.addWeighted(crop, 1.5, soft, -0.5, 0)  # unsharp: undo the upscale blur
            # re-fit on the upscaled texture, in the detector's box scaled with it
            box = np.concatenate([face.box[:2] - (x0, y0), face.box[2:] - (x0, y0)]) * scale
            pts = self.landmarker.landmarks(crop, box)
            notes.append(msg("face.note.upscaled", size=float(size), scale=float(scale)))
        crop = np.ascontiguousarray(crop)
        pts = geometry.with_forehead(pts)
        return SourceFace(
            engine=self.name,
            box=face.box,
            image=crop,
            points=pts,
            data={
                "tris": geometry.triangles(pts),
                "scale": scale,
                "texture": skin.texture_with_alpha(crop, pts),  # alpha 0: hair over the forehead
            },
            notes=notes,
        )

    # ---- rendering -------------------------------------------------------------------------

    def target_shape(
        self, target: np.ndarray, source: SourceFace, options: FaceOptions
    ) -> np.ndarray:
        """Target landmarks with the inner features moved to the source's shape."""
        src = source.points
        m = geometry.similarity(src[geometry.STABLE], target[geometry.STABLE])
        moved = geometry.apply(m, src)
        own = own_options(options, self.name, ClassicOptions)
        strength = own.shape_strength * (
            1.0 - np.clip(abs(geometry.yaw_hint(target)) - 0.25, 0, 0.5) * 2
        )
        inner = geometry.INNER
        if options.mouth_mask:
            inner = np.setdiff1d(inner, geometry.MOUTH)  # the real mouth keeps its place
        tris = source.data["tris"]
        target = geometry.with_forehead(target)
        # the move may not fold a triangle the target's own landmarks leave unfolded
        sign = np.sign(geometry.signed_areas(target, tris))
        for _ in range(4):  # back off until nothing folds over
            dst = target.copy()
            dst[inner] = target[inner] + strength * (moved[inner] - target[inner])
            if np.all(np.sign(geometry.signed_areas(dst, tris)) == sign):
                return dst
            strength *= 0.5
        return target

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        for face in faces:
            self._render_one(image, face, source, options)
        return image

    def _render_one(
        self, image: np.ndarray, face: TargetFace, source: SourceFace, options: FaceOptions
    ) -> None:
        source = faceset.pick(source, face)  # a face set: the photo whose pose is closest
        dst = self.target_shape(face.points, source, options)
        if options.likeness > 0:  # the source's outline too, the frame reshaped to it
            before = geometry.with_forehead(face.points)
            after = outline.outline_shape(before, dst, source.points, options.likeness)
            if outline.reshape_frame(image, before, after):
                dst = after
        hull_box = geometry.box_of(np.vstack([dst, face.points]))
        roi = clip_box(hull_box, image.shape, margin=0.15)
        x0, y0, x1, y1 = roi
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        frame_roi = image[y0:y1, x0:x1]
        original = frame_roi.copy() if options.mouth_mask else None
        texture = source.data.get("texture", source.image)
        warped, covered = warp_to(texture, source.points, dst, source.data["tris"], roi)
        local = dst - (x0, y0)
        mask = blend.polygon_mask(covered.shape, local) & covered
        if warped.shape[2] == 4:  # hair over either forehead stays out of the paste
            mask &= np.where(warped[..., 3] > 127, 255, 0).astype(np.uint8)
            warped = np.ascontiguousarray(warped[..., :3])
        mask &= cv2.bitwise_not(skin.not_skin(frame_roi, local))
        size = geometry.box_size(geometry.box_of(face.points))
        warped = blend.match_colour(warped, frame_roi, mask)
        # the frame's light: its shading at a scale that grows with likeness (at 0, a sixth
        # of the face: the target's own features show through it; at 1, two thirds: only the
        # light's direction and falloff come over, the source's features stay its own)
        if options.likeness > 0:  # (at low resolution: its blur is wide)
            shade_scale = 1.0 + LIKENESS_SHADE * options.likeness
            warped = outline.shade_broad(warped, frame_roi, mask, size * shade_scale)
        else:
            warped = blend.shade_match(warped, frame_roi, mask, size)
        lit = frame_roi.copy() if options.likeness > 0 else None
        if options.blend == "seamless":
            blend.paste_seamless(frame_roi, warped, mask, size)
        else:
            alpha = blend.feather(mask, size) * (mask > 0)  # nothing outside the face moves
            blend.paste_feather(frame_roi, warped, alpha)
        if lit is not None:  # the features' overall brightness stays the frame's
            outline.match_inner_light(frame_roi, lit, local[geometry.INNER], mask, size)
        if original is not None:
            self._restore_mouth(frame_roi, original, face.points - (x0, y0), size)

    @staticmethod
    def _restore_mouth(
        frame_roi: np.ndarray, original: np.ndarray, target_local: np.ndarray, size: float
    ) -> None:
        mouth = blend.polygon_mask(frame_roi.shape[:2], target_local[geometry.MOUTH], size * 0.05)
        alpha = cv2.GaussianBlur(mouth, (0, 0), max(1.0, size * 0.02)).astype(np.float32) / 255
        blend.paste_feather(frame_roi, original, alpha)

    def info(self) -> dict[str, Any]:
        return {"provider": "dlib (CPU)", "models": [DLIB_LANDMARKS_68]}

    def close(self) -> None:
        pass


def _step(angle: float) -> float:
    return round(angle / ANGLE_STEP_DEG) * ANGLE_STEP_DEG


def _check(cfg: FaceConfig) -> str | None:
    if importlib.util.find_spec("dlib") is None:
        return "the dlib package is not installed (pip install dlib-bin)"
    try:
        dlib_model(DLIB_LANDMARKS_68)  # (the face descriptor's models sit beside it)
    except ModelMissing as exc:
        return str(exc)
    return None


register(
    "classic",
    EngineType(
        description="dlib landmarks, Delaunay warp, colour transfer, seamless blend (offline)",
        check=_check,
        create=ClassicEngine,
        options=ClassicOptions,
    ),
)
