"""``classic``: the face mesh (or dlib's landmarks), shape transfer, warp, colour match, blend.

Works offline from pip alone: on MediaPipe's 468-point face mesh when its model file is
there (``python -m ar_backend.weights fetch mediapipe_face``), else on dlib's 68 landmarks
(dlib-bin + face_recognition_models).

**On the mesh** (:meth:`ClassicEngine._render_mesh`): the whole face from the hairline to the
chin and out to the cheeks is warped over MediaPipe's canonical triangles (the far side of a
turned head culled, the near side painted last). The source's shape (nose, eyes, mouth,
proportions) is measured in 3D against the target's pose and carried onto it with the
camera's expression: the jaw's and the lids' opening stay the target's, and the eyes between
the lids and the inside of the mouth are the camera's own pixels, moved with the lids and lips
(face/imaging/facemesh.py). Colour, light, sharpness and the edge's tint come from the frame
(face/imaging/tone.py: not wax, no mask's edge), and the paste is a multi-band blend
(``seamless``) or feathered. A face carries its mesh from the live path's follower
(``extra["mesh"]``), or it is fitted here around the 68 points.

**On the 68 points** (no mesh file):

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
from ar_backend.face.detect import (
    FACE_DETECTORS,
    FACE_LANDMARKERS,
    Found,
    Landmarker,
    create_runner,
)
from ar_backend.face.detect.dlib68 import Dlib68
from ar_backend.face.detect.dlib_descriptor import DlibDescriptor
from ar_backend.face.detect.face_mesh import POINTS as MESH_POINTS
from ar_backend.face.detect.face_mesh import PRESENT, mesh_roi
from ar_backend.face.detect.mesh68 import to_68
from ar_backend.face.detect.roi import Roi, roi_around, rotation
from ar_backend.face.engines.base import EngineOptions, EngineType, own_options, register
from ar_backend.face.errors import SourceTooSmall
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging import blend, facemesh, geometry, outline, skin, tone, workscale
from ar_backend.face.imaging import scale as scale_image
from ar_backend.face.imaging.warp import clip_box, warp_to
from ar_backend.face.people import faceset
from ar_backend.face.runtime.litert import ModelLoadError
from ar_backend.face.runtime.modelfiles import DLIB_LANDMARKS_68, ModelMissing, dlib_model
from ar_backend.weights.manifest import ManifestError
from shared.messages import msg
from shared.wire.backend import EngineInfo

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
MESH_FOLD = 0.002  # the share of the face's area a shape move may turn over (edge-on slivers)
LIGHT_INSET = 0.04  # the frame's light is read this share of the face's size inside its outline
# (at 0.1 the light of a rim turning into shade was never read: a pale band inside the edge)
MESHER = "face_mesh"  # the dense path's landmarker (face/detect/face_mesh.py)
RESHAPE_MOVED = 12  # grey levels: a pixel the frame's reshape changed this much was moved
MESH_FILE = "mediapipe/face_landmark.tflite"
FOREHEAD_FROM_68 = 0.25  # a 68-point box grown up this share of its height: the mesh's reach


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
        self.mesher, self.mesh_reason = _mesher(cfg)

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

    # ---- the face mesh ---------------------------------------------------------------------

    def mesh_of(self, image: np.ndarray, face: TargetFace) -> np.ndarray | None:
        """The face's 468 mesh points (x, y, depth; frame pixels): those it carries
        (``extra["mesh"]``: the live path's follower meshes every face), else fitted here
        around its 68 points; None without the mesh's file or where it sees no face."""
        carried = face.extra.get("mesh")
        if isinstance(carried, np.ndarray) and carried.shape == (MESH_POINTS, 3):
            return np.asarray(carried, np.float64)
        if self.mesher is None or face.points.shape[0] < 68:
            return None
        return self.fit_mesh(image, face.points[:68])

    def fit_mesh(self, image: np.ndarray, points68: np.ndarray) -> np.ndarray | None:
        """The mesh fitted around 68 landmarks: in the region they give (grown up over the
        forehead, turned level with the eyes), then once more in the region its own points
        give, as MediaPipe's graphs follow a face (the mesh's region is its own box)."""
        if self.mesher is None:
            return None
        box = geometry.box_of(points68).astype(np.float32)
        box[1] -= FOREHEAD_FROM_68 * (box[3] - box[1])
        angle = rotation(points68[36].astype(np.float32), points68[45].astype(np.float32), 0.0)
        roi: Roi = roi_around(box, angle, 1.5)
        for _ in range(2):
            fitted = self.mesher.fit(image, roi)
            if fitted.score < PRESENT:
                return None
            roi = mesh_roi(fitted.points)
        return np.asarray(fitted.points, np.float64)

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
        data: dict[str, Any] = {"scale": scale}
        mesh = self.fit_mesh(crop, pts)
        if mesh is not None:  # the dense path's: the mesh and its texture
            data["mesh"] = mesh
            data["mesh_texture"] = skin.mesh_texture_with_alpha(crop, mesh, facemesh.OVAL)
        pts = geometry.with_forehead(pts)
        data["tris"] = geometry.triangles(pts)
        data["texture"] = skin.texture_with_alpha(crop, pts)  # alpha 0: hair over the forehead
        return SourceFace(
            engine=self.name, box=face.box, image=crop, points=pts, data=data, notes=notes
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
        if "mesh" in source.data:
            mesh = self.mesh_of(image, face)
            if mesh is not None:
                self._render_mesh_at_work_size(image, mesh, source, options)
                return
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

    def mesh_shape(
        self, target: np.ndarray, source: SourceFace, options: FaceOptions
    ) -> np.ndarray:
        """The target's mesh moved to the source's shape (face/imaging/facemesh.py): the inner
        face by ``shape_strength``, the outline by ``likeness``, both less on a turned head
        (as on the 68 points); with ``mouth_mask`` the lips stay the target's. Backed off
        while the move turns over more than MESH_FOLD of the face's area."""
        own = own_options(options, self.name, ClassicOptions)
        turn = abs(geometry.yaw_hint(to_68(target)))
        strength = own.shape_strength * (1.0 - float(np.clip(turn - 0.25, 0, 0.5)) * 2)
        temper = float(
            np.clip((outline.TURN_STOP - turn) / (outline.TURN_STOP - outline.TURN_FREE), 0, 1)
        )
        edge = options.likeness * temper
        for _ in range(4):
            moved = facemesh.identity_shape(target, source.data["mesh"], strength, edge)
            if options.mouth_mask:
                moved[facemesh.LIPS] = target[facemesh.LIPS]
            if facemesh.folded(target, moved) <= MESH_FOLD:
                return moved
            strength, edge = strength * 0.5, edge * 0.5
        return target.copy()

    def _render_mesh_at_work_size(
        self, image: np.ndarray, target: np.ndarray, source: SourceFace, options: FaceOptions
    ) -> None:
        """One face on the mesh, larger faces than ``options.work_px`` rendered on a shrunk
        copy of their region and pasted back (face/imaging/workscale.py): a 1080p close-up
        costs what a 720p one does."""
        box = geometry.box_of(target[:, :2])
        scale = workscale.factor(geometry.box_size(box), options.work_px)
        if scale >= 1.0:
            self._render_mesh(image, target, source, options)
            return
        x0, y0, x1, y1 = workscale.region(box, image.shape)
        crop = image[y0:y1, x0:x1]
        size = workscale.shrunk_size(crop.shape, scale)
        # (halved by area averaging, the rest linear: what the shrink takes away is the
        # frame's fine detail, next to no aliasing, at a sixth of one INTER_AREA pass's cost)
        small = scale_image.shrink(np.ascontiguousarray(crop), size)
        before = small.copy()
        sx, sy = size[0] / (x1 - x0), size[1] / (y1 - y0)
        local = (target - (x0, y0, 0)) * (sx, sy, (sx + sy) / 2)
        masks = self._render_mesh(small, local, source, options, drop=True)
        if masks is not None:
            workscale.paste_up(crop, before, small, *masks)

    def _render_mesh(
        self,
        image: np.ndarray,
        target: np.ndarray,
        source: SourceFace,
        options: FaceOptions,
        drop: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """One face on the mesh (the module's docstring): shape, warp, tone, paste. With
        ``drop``: where (255) the frame's own fine detail must not show through the render
        scaled up (workscale.paste_up): the features and the band the outline moved over; and
        outside the face, where the frame itself was moved round the new outline (None:
        nowhere)."""
        moved = self.mesh_shape(target, source, options)
        before = target[:, :2]
        size = geometry.box_size(geometry.box_of(before))
        x0, y0, x1, y1 = roi = clip_box(
            geometry.box_of(np.vstack([before, moved[:, :2]])), image.shape, margin=0.15
        )
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        camera = image[y0:y1, x0:x1].copy()  # the frame as the camera gave it
        # the frame round the face follows the new outline (face/imaging/outline.py), or where
        # that would fold, the outline stays the target's
        rim = facemesh.RESHAPED
        reshaped = None  # with ``drop``: how much the reshape changed each pixel
        if not np.allclose(before[facemesh.OVAL], moved[facemesh.OVAL, :2]):
            was = image.copy() if drop else None
            if not outline.reshape_frame(image, before[rim], moved[rim, :2]):
                moved = self.mesh_shape(target, source, options.model_copy(update={"likeness": 0}))
            elif was is not None:
                reshaped = np.max(cv2.absdiff(was, image), axis=2)
        after = moved[:, :2]
        frame_roi = image[y0:y1, x0:x1]
        src_mesh = source.data["mesh"]
        # what the camera sees of the face and the source has a texture for, far to near
        visible = facemesh.facing(moved) & facemesh.facing(src_mesh)
        tris = facemesh.far_to_near(moved, facemesh.TRIANGLES[visible])
        openings = facemesh.TRIANGLES[visible & facemesh.OPENING_TRIANGLES]
        warped, covered = warp_to(source.data["mesh_texture"], src_mesh[:, :2], after, tris, roi)
        local = after - (x0, y0)
        shape = covered.shape
        mask = covered & blend.polygon_mask_of(shape, local[facemesh.OVAL])
        mask &= np.where(warped[..., 3] > 127, 255, 0).astype(np.uint8)  # the source's hair
        mask &= cv2.bitwise_not(skin.mesh_not_skin(frame_roi, local))  # and the target's
        warped = np.ascontiguousarray(warped[..., :3])
        # the eyes between the lids and the inside of the mouth are the camera's (a blink, the
        # gaze, teeth, the dark of an open mouth), moved with the lids and lips
        camera_parts = blend.polygon_mask_of(shape, local[facemesh.LIPS_INNER])
        for eye in (facemesh.RIGHT_EYE, facemesh.LEFT_EYE):
            camera_parts |= blend.polygon_mask_of(shape, local[eye])
        skin_only = mask & cv2.bitwise_not(camera_parts)
        features = facemesh.features_mask(shape, [local, before - (x0, y0)], size)
        warped = self._tone(warped, frame_roi, skin_only, features, local, size, options)
        if cv2.countNonZero(camera_parts):  # (warped over the openings' box only)
            ox0, oy0, ox1, oy1 = part = clip_box(
                geometry.box_of(after[facemesh.OPENINGS]), image.shape, margin=0.05
            )
            own, _ = warp_to(camera, before - (x0, y0), after, openings, part)
            sub = np.s_[oy0 - y0 : oy1 - y0, ox0 - x0 : ox1 - x0]
            soft = cv2.GaussianBlur(camera_parts[sub], (0, 0), max(0.8, size * 0.006))
            blend.paste_feather(warped[sub], own, soft.astype(np.float32) / 255.0)
        if options.blend == "seamless":
            blend.paste_multiband(frame_roi, warped, mask, size)
        else:
            alpha = blend.feather(mask, size) * (mask > 0)  # nothing outside the face moves
            blend.paste_feather(frame_roi, warped, alpha)
        if options.mouth_mask:
            local68 = to_68(np.asarray(target - (x0, y0, 0), np.float32))
            self._restore_mouth(frame_roi, camera, local68, size)
        if not drop:
            return None
        moved_over = cv2.absdiff(  # between the outline before and after the shape's move
            blend.polygon_mask_of(shape, local[facemesh.OVAL]),
            blend.polygon_mask_of(shape, (before - (x0, y0))[facemesh.OVAL]),
        )
        grow = max(3, int(size * 0.03) | 1)
        band = np.asarray(cv2.dilate(moved_over, np.ones((grow, grow), np.uint8)), np.uint8)
        out: np.ndarray = np.zeros(image.shape[:2], np.uint8)
        out[y0:y1, x0:x1] = cv2.bitwise_or(features, band)
        if reshaped is None:
            return out, None
        # outside the face, the frame moved round its new outline: its edges (a collar, the
        # jaw's shadow) are where the reshape put them, not where the camera had them
        oval = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(oval, [np.round(after[facemesh.OVAL]).astype(np.int32)], 255)
        grown = cv2.dilate(oval, np.ones((grow, grow), np.uint8))
        moved_px = np.where(reshaped > RESHAPE_MOVED, 255, 0).astype(np.uint8)
        edged = cv2.dilate(moved_px, np.ones((5, 5), np.uint8))  # (and what edges it)
        return out, cv2.bitwise_and(edged, cv2.bitwise_not(grown))

    @staticmethod
    def _tone(
        warped: np.ndarray,
        frame_roi: np.ndarray,
        skin_only: np.ndarray,
        features: np.ndarray,
        local: np.ndarray,
        size: float,
        options: FaceOptions,
    ) -> np.ndarray:
        """The warped source in the frame's colour, light and sharpness (face/imaging/tone.py):
        the skin's colour read on the cheeks and nose; the light read on the skin inside the
        outline (LIGHT_INSET: hair over the cheeks, the background past them are not its
        light) at a scale that grows with likeness (as on the 68 points: the source's own
        shading at the broader scales carries its likeness); its fine detail as sharp as the
        frame's skin; its edge in the tint of the skin beside it, and part of the way to its
        light."""
        face, frame = tone.to_lab(warped), tone.to_lab(frame_roi)
        oval = blend.polygon_mask_of(skin_only.shape, local[facemesh.OVAL])
        core = skin_only & blend.inset(oval, size * LIGHT_INSET) & cv2.bitwise_not(features)
        tone.match_colour(face, frame, skin_only, core)
        shade_scale = 1.0 + LIKENESS_SHADE * options.likeness
        tone.relight(face, frame, core, size * shade_scale / 6)
        tone.match_detail(face, frame, core, size)
        tone.match_rim(face, frame, skin_only, size)
        return tone.to_bgr(face)

    @staticmethod
    def _restore_mouth(
        frame_roi: np.ndarray, original: np.ndarray, target_local: np.ndarray, size: float
    ) -> None:
        mouth = blend.polygon_mask(frame_roi.shape[:2], target_local[geometry.MOUTH], size * 0.05)
        alpha = cv2.GaussianBlur(mouth, (0, 0), max(1.0, size * 0.02)).astype(np.float32) / 255
        blend.paste_feather(frame_roi, original, alpha)

    def info(self) -> EngineInfo:
        """The provider and model files; ``mesh``: why the face mesh is not used (None when
        it is)."""
        if self.mesher is not None:
            models = [DLIB_LANDMARKS_68, MESH_FILE]
            return EngineInfo(provider="MediaPipe face mesh (LiteRT, CPU)", models=models)
        return EngineInfo(provider="dlib (CPU)", models=[DLIB_LANDMARKS_68], mesh=self.mesh_reason)

    def close(self) -> None:
        pass


def _mesher(cfg: FaceConfig) -> tuple[Landmarker | None, str | None]:
    """The face mesh on its verified file, or None and why not (the 68 points then)."""
    try:
        return create_runner(FACE_LANDMARKERS, MESHER, cfg), None
    except (FileNotFoundError, ManifestError, ModelLoadError) as exc:
        return None, str(exc)


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
