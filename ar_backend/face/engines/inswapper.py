"""``inswapper``: insightface's SCRFD detector, ArcFace recognizer and inswapper_128 swapper.

The model files are the user's, in the models folder (``python -m ar_backend.weights fetch``
downloads verified copies; the engine itself downloads nothing):
``<models_dir>/<inswapper.model>`` (``inswapper_128_fp16.onnx`` stands in for a missing
``inswapper_128.onnx``) and the analysis pack's detector and recognizer in
``<models_dir>/<inswapper.analysis>/``. A file listed in the model manifest
(``face.models_manifest``) whose size or SHA-256 differs makes the engine unavailable: it is
never opened.

The swapper returns the swapped face as a 128x128 aligned crop; it is pasted back here, under
a mask made from the crop's square warped into the frame, eroded and feathered (or Poisson
blended), so pixels outside the mask are never touched. With ``mouth_mask`` the target's own
mouth is put back over the swapped one.

onnxruntime runs the models on the execution providers chosen in ``onnx_providers``;
``info()`` reports the ones each session actually got, so a fall back to the CPU shows.
insightface and onnxruntime are imported only when the engine is created.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.config import FaceConfig, FaceOptions, resolve_dir
from ar_backend.face import blend
from ar_backend.face.engines.base import EngineType, SourceFace, TargetFace, register
from ar_backend.face.errors import EngineUnavailable, SourceTooSmall
from ar_backend.face.geometry import box_size, iou
from ar_backend.face.onnx_providers import (
    choose,
    provider_options,
    session_report,
    warn_once_if_cpu,
)
from ar_backend.face.warp import clip_box
from ar_backend.weights.manifest import ManifestError, load_manifest
from ar_backend.weights.verify import check_file, manifest_path

log = logging.getLogger(__name__)

NAME = "inswapper"

SOURCE_DET_SIZE = (640, 640)  # uploaded images: one fixed size (one detector session)
REFIT_DET_SIZE = (320, 320)  # the crop around a tracked face: fixed too
REFIT_MARGIN = 0.5  # the refit crop: the box grown by half its size each side (2x the box)
REFIT_MIN_IOU = 0.3  # a refit further than this from the previous box has lost the face
RECOGNIZER_PX = 112  # the recognizer's input: smaller source faces are upscaled to it


# ---- model files ---------------------------------------------------------------------------


def models_dir(cfg: FaceConfig) -> Path:
    return resolve_dir(cfg.models_dir)


def _fp16_name(name: str) -> str | None:
    """``inswapper_128.onnx`` -> ``inswapper_128_fp16.onnx`` (None when already fp16)."""
    path = Path(name)
    if path.suffix != ".onnx" or path.stem.endswith("_fp16"):
        return None
    return str(path.with_name(f"{path.stem}_fp16.onnx"))


def model_paths(cfg: FaceConfig) -> dict[str, Path]:
    """Where the three files are expected (the fp16 swapper when only it is there)."""
    root = models_dir(cfg)
    ins = cfg.inswapper
    swapper = root / ins.model
    alt = _fp16_name(ins.model)
    if not swapper.is_file() and alt is not None and (root / alt).is_file():
        swapper = root / alt
    return {
        "swapper": swapper,
        "detector": root / ins.analysis / ins.detector,
        "recognizer": root / ins.analysis / ins.recognizer,
    }


def _missing_message(cfg: FaceConfig) -> str | None:
    missing = []
    for role, path in model_paths(cfg).items():
        if path.is_file():
            continue
        alt = _fp16_name(path.name) if role == "swapper" else None
        missing.append(f"{path} (or {alt})" if alt else str(path))
    if not missing:
        return None
    return f"missing model files: {', '.join(missing)}; place them there (nothing is downloaded)"


def _check(cfg: FaceConfig) -> str | None:
    reasons = []
    absent = [m for m in ("onnxruntime", "insightface") if importlib.util.find_spec(m) is None]
    if absent:
        reasons.append(
            f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not installed "
            "(pip install insightface onnxruntime, or onnxruntime-gpu for CUDA)"
        )
    missing = _missing_message(cfg)
    if missing:
        reasons.append(missing)
    else:
        corrupt = _corrupt_message(cfg)
        if corrupt:
            reasons.append(corrupt)
    return "; ".join(reasons) or None


def _corrupt_message(cfg: FaceConfig) -> str | None:
    """The files whose size or SHA-256 differs from the manifest's (hashed once per file
    version); such a file is never opened. No manifest: nothing to check against."""
    path = manifest_path(cfg.models_manifest)
    if not path.is_file():
        return None
    try:
        manifest = load_manifest(path)
    except ManifestError as exc:
        return str(exc)
    root = models_dir(cfg)
    bad = []
    for file in model_paths(cfg).values():
        rel = file.relative_to(root).as_posix()
        if check_file(root, manifest, rel) == "corrupt":
            found = manifest.find(rel)
            name = found[0] if found else "?"
            bad.append(
                f"{file} is corrupt (its size or SHA-256 differs from {path}; fetch it again: "
                f"python -m ar_backend.weights fetch {name})"
            )
    return "; ".join(bad) or None


# ---- the engine ----------------------------------------------------------------------------


class InswapperEngine:
    name = NAME

    def __init__(self, cfg: FaceConfig) -> None:
        reason = _check(cfg)
        if reason:
            raise EngineUnavailable(f"{NAME} is unavailable: {reason}")
        import onnxruntime
        from insightface.model_zoo import get_model

        self.cfg = cfg
        self.paths = model_paths(cfg)
        self.choice = choose(list(cfg.inswapper.providers))
        if not self.choice.providers:
            raise EngineUnavailable(
                f"{NAME} is unavailable: none of the providers {cfg.inswapper.providers} is "
                f"available (onnxruntime has {onnxruntime.get_available_providers()})"
            )
        options = provider_options(self.choice.providers, cfg.gpu, models_dir(cfg))
        models = {}
        for role, path in self.paths.items():
            try:
                models[role] = get_model(
                    str(path), providers=self.choice.providers, provider_options=options
                )
            except Exception as exc:  # a damaged or foreign file: say which
                raise EngineUnavailable(
                    f"{NAME} is unavailable: {path} could not be loaded "
                    f"({exc.__class__.__name__}: {exc})"
                ) from exc
        self.detector, self.recognizer, self.swapper = self._typed(models)
        self.detector.prepare(0, det_thresh=cfg.inswapper.det_threshold)
        warn_once_if_cpu(NAME, self.info())

    def _typed(self, models: dict[str, Any]) -> tuple[Any, Any, Any]:
        from insightface.model_zoo.arcface_onnx import ArcFaceONNX
        from insightface.model_zoo.inswapper import INSwapper
        from insightface.model_zoo.scrfd import SCRFD

        expected = {"detector": SCRFD, "recognizer": ArcFaceONNX, "swapper": INSwapper}
        for role, kind in expected.items():
            if not isinstance(models[role], kind):
                raise EngineUnavailable(
                    f"{NAME} is unavailable: {self.paths[role]} is not a {kind.__name__} "
                    f"model (the {role} expected there)"
                )
        if not models["detector"].use_kps:
            raise EngineUnavailable(
                f"{NAME} is unavailable: {self.paths['detector']} gives no keypoints "
                "(the swapper aligns faces on them; use det_10g.onnx)"
            )
        return models["detector"], models["recognizer"], models["swapper"]

    # ---- finding faces ---------------------------------------------------------------------

    def _detect(self, image: np.ndarray, input_size: tuple[int, int]) -> list[TargetFace]:
        det, kps = self.detector.detect(image, input_size=input_size)
        faces = [
            TargetFace(
                box=det[i, :4].astype(np.float32),
                points=kps[i].astype(np.float32),
                score=float(det[i, 4]),
            )
            for i in range(det.shape[0])
        ]
        return sorted(faces, key=lambda f: -f.score)

    @staticmethod
    def detect_input_size(shape: tuple[int, ...], detect_size: int) -> tuple[int, int]:
        """(width, height) for the detector: the frame's aspect, its longest side at most
        ``detect_size``, in multiples of 32 (SCRFD's coarsest stride)."""
        h, w = shape[:2]
        scale = min(1.0, detect_size / max(h, w, 1))
        return (
            max(32, math.ceil(w * scale / 32) * 32),
            max(32, math.ceil(h * scale / 32) * 32),
        )

    def detect(self, image: np.ndarray, options: FaceOptions) -> list[TargetFace]:
        return self._detect(image, self.detect_input_size(image.shape, options.detect_size))

    def refit(self, image: np.ndarray, face: TargetFace) -> TargetFace | None:
        x0, y0, x1, y1 = clip_box(face.box, image.shape, margin=REFIT_MARGIN)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None  # it left the frame
        found = self._detect(image[y0:y1, x0:x1], REFIT_DET_SIZE)
        best, best_iou = None, REFIT_MIN_IOU
        for cand in found:
            box = cand.box + np.array([x0, y0, x0, y0], np.float32)
            overlap = iou(face.box, box)
            if overlap > best_iou:
                best, best_iou = (box, cand), overlap
        if best is None:
            return None
        box, cand = best
        return TargetFace(
            box=box,
            points=cand.points + np.array([x0, y0], np.float32),
            score=cand.score,
            track_id=face.track_id,
            extra=face.extra,
        )

    def find_sources(self, image: np.ndarray) -> list[TargetFace]:
        return self._detect(image, SOURCE_DET_SIZE)

    # ---- who it is (reference mode, face map) ------------------------------------------------

    def describe(self, image: np.ndarray, face: TargetFace) -> np.ndarray:
        """The ArcFace embedding, unit length."""
        from insightface.app.common import Face

        found = Face(
            bbox=np.asarray(face.box, np.float32),
            kps=np.asarray(face.points, np.float32),
            det_score=face.score,
        )
        embedding = np.asarray(self.recognizer.get(image, found), np.float64)
        return embedding / max(float(np.linalg.norm(embedding)), 1e-9)

    @staticmethod
    def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine distance (0: the same direction; one person's photos: under about 0.65)."""
        return float(1.0 - np.dot(a, b))

    # ---- the source ------------------------------------------------------------------------

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace:
        from insightface.app.common import Face

        size = box_size(face.box)
        if size < self.cfg.min_source_px:
            raise SourceTooSmall(
                f"the face is {size:.0f} px across; at least {self.cfg.min_source_px} px is "
                "needed for a usable swap (use a larger or closer photo)"
            )
        points = np.asarray(face.points, np.float32)
        if points.shape != (5, 2):
            raise SourceTooSmall(f"{NAME} needs the 5 face keypoints, got {points.shape}")
        found = Face(bbox=np.asarray(face.box, np.float32), kps=points, det_score=face.score)
        embedding = self.recognizer.get(image, found)
        if not np.all(np.isfinite(embedding)) or float(np.linalg.norm(embedding)) == 0:
            raise SourceTooSmall("no identity could be read from this face (try another photo)")
        notes = []
        if size < RECOGNIZER_PX:
            notes.append(
                f"source face is {size:.0f} px: the recognizer reads it at {RECOGNIZER_PX} px; "
                "a larger photo gives a closer likeness"
            )
        x0, y0, x1, y1 = clip_box(face.box, image.shape, margin=0.3)
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        return SourceFace(
            engine=NAME,
            box=np.asarray(face.box, np.float32),
            image=crop,
            points=points - np.array([x0, y0], np.float32),
            data={"face": found},
            notes=notes,
        )

    # ---- rendering -------------------------------------------------------------------------

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        from insightface.app.common import Face

        identity = self._identity(source)
        for face in faces:
            points = np.asarray(face.points, np.float32)
            if points.shape != (5, 2):
                continue  # landmarks from another engine: not this engine's face
            target = Face(bbox=np.asarray(face.box, np.float32), kps=points, det_score=face.score)
            fake, matrix = self.swapper.get(image, target, identity, paste_back=False)
            self._paste(image, fake, matrix, points, options)
        return image

    @staticmethod
    def _identity(source: SourceFace) -> Any:
        """The source's identity; a face set's is the mean of its photos' unit embeddings
        (ArcFace reads the person, not the pose: several photos give a steadier identity
        than one), worked out once and kept with the source."""
        members = source.data.get("set")
        if not members:
            return source.data["face"]
        cached = source.data.get("set_identity")
        if cached is None:
            from insightface.app.common import Face

            first = source.data["face"]
            units = [m.data["face"].normed_embedding for m in members]
            mean = np.mean(units, axis=0)
            mean = mean / max(float(np.linalg.norm(mean)), 1e-9)
            cached = Face(
                bbox=first.bbox,
                kps=first.kps,
                det_score=first.det_score,
                embedding=(mean * float(first.embedding_norm)).astype(np.float32),
            )
            source.data["set_identity"] = cached
        return cached

    @staticmethod
    def _paste(
        image: np.ndarray,
        fake: np.ndarray,
        matrix: np.ndarray,
        points: np.ndarray,
        options: FaceOptions,
    ) -> None:
        """Warp the aligned crop back into ``image`` (in place) under a soft mask."""
        n = fake.shape[0]
        inverse = cv2.invertAffineTransform(matrix)
        corners = np.array([[0, 0], [n, 0], [0, n], [n, n]], np.float64)
        where = corners @ inverse[:, :2].T + inverse[:, 2]
        h, w = image.shape[:2]
        x0, y0 = max(0, math.floor(where[:, 0].min())), max(0, math.floor(where[:, 1].min()))
        x1, y1 = min(w, math.ceil(where[:, 0].max()) + 1), min(h, math.ceil(where[:, 1].max()) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        local = inverse.copy()
        local[:, 2] -= (x0, y0)
        out = (x1 - x0, y1 - y0)
        warped = cv2.warpAffine(
            fake, local, out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        white = cv2.warpAffine(
            np.full((n, n), 255, np.uint8), local, out, flags=cv2.INTER_LINEAR, borderValue=0
        )
        covered = np.where(white > 20, 255, 0).astype(np.uint8)
        side = float(np.sqrt(max(int(np.count_nonzero(covered)), 1)))  # the square's side in px
        k = max(3, int(side * 0.1))
        mask = cv2.erode(covered, np.ones((k, k), np.uint8))
        roi = image[y0:y1, x0:x1]
        original = roi.copy() if options.mouth_mask else None
        inside = (covered > 0).astype(np.float32)
        if options.blend == "seamless":
            blend.paste_seamless(roi, warped, mask, side)
        else:
            b = max(1, int(side * 0.05))
            alpha = cv2.GaussianBlur(mask, (2 * b + 1, 2 * b + 1), 0).astype(np.float32) / 255
            blend.paste_feather(roi, warped, alpha * inside)
        if original is not None:
            # only where the swap itself reached, so nothing outside its mask changes
            mouth = _mouth_alpha(roi.shape[:2], points - (x0, y0)) * (mask > 0)
            blend.paste_feather(roi, original, mouth)

    # ---- status ----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        sessions = {
            role: None if model is None else model.session
            for role, model in (
                ("swapper", self.swapper),
                ("detector", self.detector),
                ("recognizer", self.recognizer),
            )
        }
        return {
            **session_report(sessions, self.choice, self.cfg.gpu),
            "models": {role: str(path) for role, path in self.paths.items()},
        }

    def close(self) -> None:
        # onnxruntime frees a session when the last reference goes
        self.detector = self.recognizer = self.swapper = None


def _mouth_alpha(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """A feathered ellipse over the mouth: keypoints 3 and 4 are its corners."""
    left, right = points[3], points[4]
    width = float(np.linalg.norm(right - left))
    alpha = np.zeros(shape, np.float32)
    if width < 2:
        return alpha
    centre = (left + right) / 2
    angle = math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))
    axes = (max(1, round(width * 0.65)), max(1, round(width * 0.35)))
    cv2.ellipse(
        alpha, (round(float(centre[0])), round(float(centre[1]))), axes, angle, 0, 360, 1.0, -1
    )
    return cv2.GaussianBlur(alpha, (0, 0), max(1.0, width * 0.08))


register(
    NAME,
    EngineType(
        description="insightface inswapper_128 on onnxruntime (GPU when available; "
        "needs the model files in the models folder)",
        check=_check,
        create=InswapperEngine,
    ),
)
