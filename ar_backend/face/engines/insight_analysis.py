"""What the engines that swap from an ArcFace identity (``inswapper``, ``hyperswap``) share:
insightface's SCRFD detector and ArcFace recognizer (the ``buffalo_l`` analysis pack), the
checks on their model files, and pasting an aligned swapped crop back into the frame.

- :class:`InsightAnalysis` finds faces (SCRFD, 5 keypoints each: face/detect/scrfd.py),
  follows them between detections (``refit``: the detector again on the face's
  neighbourhood), tells people apart (``describe``: the unit ArcFace embedding;
  ``identity_distance``: cosine distance) and prepares a source (its embedding, read once).
- :func:`missing_message` and :func:`corrupt_message` say why the files cannot be used: a
  file listed in the model manifest (``face.models_manifest``) whose size or SHA-256 differs
  is never opened.
- :func:`paste_crop` warps a swapped ``n x n`` crop back under a soft mask (the crop's square
  warped into the frame, eroded and feathered as insightface does, or Poisson blended),
  bounded by where the swapper changed the face when it says so; with ``mouth_mask`` the
  target's own mouth is put back over the swapped one.

insightface and onnxruntime are imported only when an engine is created.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ar_backend.config import FaceConfig, FaceOptions, InsightPackConfig, resolve_dir
from ar_backend.face.detect.base import Found
from ar_backend.face.detect.mesh68 import to_5
from ar_backend.face.detect.scrfd import Scrfd
from ar_backend.face.errors import EngineUnavailable, SourceTooSmall
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging import blend
from ar_backend.face.imaging.geometry import box_size, iou
from ar_backend.face.imaging.warp import clip_box, crop_region
from ar_backend.face.runtime.onnx_providers import ProviderChoice, choose, provider_options
from ar_backend.weights import fetch_command
from ar_backend.weights.manifest import ManifestError, load_manifest
from ar_backend.weights.verify import check_file, manifest_path
from shared.messages import msg

REFIT_DET_SIZE = (320, 320)  # the crop around a tracked face: fixed too
REFIT_MARGIN = 0.5  # the refit crop: the box grown by half its size each side (2x the box)
REFIT_MIN_IOU = 0.3  # a refit further than this from the previous box has lost the face
RECOGNIZER_PX = 112  # the recognizer's input: smaller source faces are upscaled to it


# ---- model files ---------------------------------------------------------------------------


def models_dir(cfg: FaceConfig) -> Path:
    return resolve_dir(cfg.models_dir)


def runtime_message() -> str | None:
    """Why the runtime is missing (onnxruntime, insightface not installed); None if it is not."""
    absent = [m for m in ("onnxruntime", "insightface") if importlib.util.find_spec(m) is None]
    if not absent:
        return None
    return (
        f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not installed "
        "(pip install insightface onnxruntime, or onnxruntime-gpu for CUDA)"
    )


def missing_message(
    paths: Iterable[Path], alternatives: dict[Path, str] | None = None
) -> str | None:
    """The files that are not there (``alternatives``: a file that would do instead)."""
    alternatives = alternatives or {}
    missing = []
    for path in paths:
        if path.is_file():
            continue
        alt = alternatives.get(path)
        missing.append(f"{path} (or {alt})" if alt else str(path))
    if not missing:
        return None
    return f"missing model files: {', '.join(missing)}"


def fetch_names(cfg: FaceConfig, paths: Iterable[Path]) -> list[str]:
    """The manifest's names for ``paths`` (those it lists), for the fetch command."""
    path = manifest_path(cfg.models_manifest)
    if not path.is_file():
        return []
    try:
        manifest = load_manifest(path)
    except ManifestError:
        return []
    root = models_dir(cfg)
    names = []
    for file in paths:
        found = manifest.find(file.relative_to(root).as_posix())
        if found and found[0] not in names:
            names.append(found[0])
    return names


def download_hint(cfg: FaceConfig, paths: Iterable[Path]) -> str:
    """How to get missing files: the window's Models dialog or the fetch command for those
    the manifest lists; else where to put them."""
    names = fetch_names(cfg, paths)
    if names:
        return f"download them with Models… in the window or {fetch_command(*names)}"
    return f"put them in {models_dir(cfg)}"


def corrupt_message(cfg: FaceConfig, paths: Iterable[Path]) -> str | None:
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
    for file in paths:
        rel = file.relative_to(root).as_posix()
        if check_file(root, manifest, rel) == "corrupt":
            found = manifest.find(rel)
            name = found[0] if found else "?"
            bad.append(
                f"{file} is corrupt (its size or SHA-256 differs from {path}; fetch it again: "
                f"{fetch_command(name)})"
            )
    return "; ".join(bad) or None


def files_message(
    cfg: FaceConfig, paths: Iterable[Path], alternatives: dict[Path, str] | None = None
) -> str | None:
    """Why the engine cannot run here (runtime, missing files, corrupt files); None if it can."""
    paths = list(paths)
    reasons = []
    runtime = runtime_message()
    if runtime:
        reasons.append(runtime)
    missing = missing_message(paths, alternatives)
    if missing:  # every file's problem: the missing ones and the corrupt ones
        absent = [p for p in paths if not p.is_file()]
        reasons.append(f"{missing} ({download_hint(cfg, absent)})")
    corrupt = corrupt_message(cfg, [p for p in paths if p.is_file()])
    if corrupt:
        reasons.append(corrupt)
    return "; ".join(reasons) or None


def load_analysis(
    name: str,
    detector: Path,
    recognizer: Path,
    providers: list[str],
    provider_options: list[dict[str, str]],
    det_threshold: float,
) -> tuple[Any, Any]:
    """The SCRFD detector (prepared, with keypoints) and the ArcFace recognizer, through
    insightface's model zoo on ``providers``; :class:`EngineUnavailable` naming the file that
    is damaged or not the model expected there."""
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.model_zoo.scrfd import SCRFD

    found = load_zoo_model(name, "detector", detector, SCRFD, providers, provider_options)
    known = load_zoo_model(name, "recognizer", recognizer, ArcFaceONNX, providers, provider_options)
    if not found.use_kps:
        raise EngineUnavailable(
            f"{name} is unavailable: {detector} gives no keypoints "
            "(the swapper aligns faces on them; use det_10g.onnx)"
        )
    found.prepare(0, det_thresh=det_threshold)
    return found, known


def load_zoo_model(
    name: str,
    role: str,
    path: Path,
    kind: type,
    providers: list[str],
    provider_options: list[dict[str, str]],
) -> Any:
    """One model through insightface's ``model_zoo.get_model``, checked to be a ``kind``."""
    from insightface.model_zoo import get_model

    try:
        model = get_model(str(path), providers=providers, provider_options=provider_options)
    except Exception as exc:  # a damaged or foreign file: say which
        raise EngineUnavailable(
            f"{name} is unavailable: {path} could not be loaded ({exc.__class__.__name__}: {exc})"
        ) from exc
    if not isinstance(model, kind):
        raise EngineUnavailable(
            f"{name} is unavailable: {path} is not a {kind.__name__} model "
            f"(the {role} expected there)"
        )
    return model


def insight_face(face: TargetFace) -> Any:
    """insightface's ``Face`` for a found face (its box, 5 keypoints and score)."""
    from insightface.app.common import Face

    return Face(
        bbox=np.asarray(face.box, np.float32),
        kps=np.asarray(face.points, np.float32),
        det_score=face.score,
    )


# ---- finding faces, telling people apart, reading a source ---------------------------------


class InsightAnalysis:
    """Detection, tracking, identity and sources on insightface's detector and recognizer.
    A subclass sets ``name``, ``cfg``, ``detector`` and ``recognizer`` and renders."""

    name: str
    cfg: FaceConfig
    paths: dict[str, Path]
    choice: ProviderChoice
    detector: Scrfd
    recognizer: Any
    refit_detects = True  # a refit is SCRFD itself on the face's neighbourhood

    def _open(
        self,
        cfg: FaceConfig,
        pack: InsightPackConfig,
        paths: dict[str, Path],
        check: Callable[[FaceConfig], str | None],
    ) -> list[dict[str, str]]:
        """What every insightface-based engine does first: refuse with the reason when its
        files cannot be used, choose its providers (none here: refused, naming them), load
        the pack's detector and recognizer on them. The provider options, for its own model."""
        reason = check(cfg)
        if reason:
            raise EngineUnavailable(f"{self.name} is unavailable: {reason}")
        self.cfg, self.paths = cfg, paths
        self.choice = choose(list(pack.providers))
        if not self.choice.providers:
            import onnxruntime

            raise EngineUnavailable(
                f"{self.name} is unavailable: none of the providers {pack.providers} is "
                f"available (onnxruntime has {onnxruntime.get_available_providers()})"
            )
        options = provider_options(self.choice.providers, cfg.gpu, resolve_dir(cfg.models_dir))
        found, self.recognizer = load_analysis(
            self.name,
            paths["detector"],
            paths["recognizer"],
            self.choice.providers,
            options,
            pack.det_threshold,
        )
        self.detector = Scrfd(found)
        return options

    def target(self, image: np.ndarray, found: Found) -> TargetFace:
        """The face as SCRFD found it: its 5 keypoints are its points."""
        return TargetFace(box=found.box, points=found.keypoints, score=found.score)

    def mesh_points(self, mesh: np.ndarray) -> np.ndarray:
        """The five keypoints SCRFD gives, from the mesh (face/detect/mesh68.py)."""
        return to_5(mesh)

    def refit(self, image: np.ndarray, face: TargetFace) -> TargetFace | None:
        x0, y0, x1, y1 = clip_box(face.box, image.shape, margin=REFIT_MARGIN)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None  # it left the frame
        found = self.detector.detect_at(image[y0:y1, x0:x1], REFIT_DET_SIZE)
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
            points=cand.keypoints + np.array([x0, y0], np.float32),
            score=cand.score,
            track_id=face.track_id,
            extra=face.extra,
        )

    # ---- who it is (reference mode, face map) ------------------------------------------------

    def describe(self, image: np.ndarray, face: TargetFace) -> np.ndarray:
        """The ArcFace embedding, unit length."""
        embedding = np.asarray(self.recognizer.get(image, insight_face(face)), np.float64)
        return embedding / max(float(np.linalg.norm(embedding)), 1e-9)

    @staticmethod
    def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine distance (0: the same direction; one person's photos: under about 0.65)."""
        return float(1.0 - np.dot(a, b))

    # ---- the source ------------------------------------------------------------------------

    def prepare_source(self, image: np.ndarray, face: TargetFace) -> SourceFace:
        """The source's ArcFace embedding (``data["face"]``: insightface's ``Face``, with
        ``embedding`` and ``normed_embedding``) and a crop around it to show."""
        size = box_size(face.box)
        if size < self.cfg.min_source_px:
            raise SourceTooSmall(
                f"the face is {size:.0f} px across; at least {self.cfg.min_source_px} px is "
                "needed for a usable swap (use a larger or closer photo)"
            )
        points = np.asarray(face.points, np.float32)
        if points.shape != (5, 2):
            raise SourceTooSmall(f"{self.name} needs the 5 face keypoints, got {points.shape}")
        found = insight_face(face)
        embedding = self.recognizer.get(image, found)
        if not np.all(np.isfinite(embedding)) or float(np.linalg.norm(embedding)) == 0:
            raise SourceTooSmall("no identity could be read from this face (try another photo)")
        notes = []
        if size < RECOGNIZER_PX:
            notes.append(
                msg("face.note.small_for_recognizer", size=float(size), read_px=RECOGNIZER_PX)
            )
        x0, y0, x1, y1 = clip_box(face.box, image.shape, margin=0.3)
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        return SourceFace(
            engine=self.name,
            box=np.asarray(face.box, np.float32),
            image=crop,
            points=points - np.array([x0, y0], np.float32),
            data={"face": found},
            notes=notes,
        )


def mean_unit_embedding(source: SourceFace) -> np.ndarray:
    """The source's unit ArcFace embedding; a face set's is the mean of its photos' unit
    embeddings, made unit again (ArcFace reads the person, not the pose: several photos give a
    steadier identity than one)."""
    members = source.data.get("set") or (source,)
    units = [np.asarray(m.data["face"].normed_embedding, np.float64) for m in members]
    mean = np.mean(units, axis=0)
    unit: np.ndarray = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return unit


# ---- pasting the swapped crop back ---------------------------------------------------------

MIN_ERODE = 10  # px: insightface's ``max(mask_size // 10, 10)``
MIN_FEATHER = 5  # px: insightface's ``max(mask_size // 20, 5)``, a (2k + 1) Gaussian kernel


def paste_crop(
    image: np.ndarray,
    fake: np.ndarray,
    matrix: np.ndarray,
    points: np.ndarray,
    options: FaceOptions,
    crop_mask: np.ndarray | None = None,
) -> None:
    """Warp the aligned ``n x n`` crop ``fake`` (``matrix``: frame to crop) back into
    ``image`` (in place) under a soft mask: insightface's (inswapper.py ``paste_back``): the
    crop's square eroded by a tenth of its side and at least :data:`MIN_ERODE` px, feathered
    by a twentieth and at least :data:`MIN_FEATHER` px (a kernel of at least 11). ``crop_mask``
    (``n x n``, 0 or 1: where the swapper changed the face) limits it; the frame keeps its own
    pixels where it is 0."""
    n = fake.shape[0]
    region = crop_region(matrix, n, image.shape, min_side=8)
    if region is None:
        return
    (x0, y0, x1, y1), local = region
    out = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(
        fake, local, out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    side = n / float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # the square's side in px
    k = max(MIN_ERODE, int(side * 0.1))
    b = max(MIN_FEATHER, int(side * 0.05))
    covered, mask = _square_mask(local, n, out, k, b if options.blend != "seamless" else 0)
    inside = (covered > 0).astype(np.float32)
    if crop_mask is not None:
        own = cv2.warpAffine(
            np.clip(crop_mask, 0.0, 1.0).astype(np.float32),
            local,
            out,
            flags=cv2.INTER_LINEAR,
            borderValue=0.0,
        )
        inside *= own  # where the swapper left the target as it was, the frame stays too
        mask = (mask.astype(np.float32) * own).astype(np.uint8)
    roi = image[y0:y1, x0:x1]
    original = roi.copy() if options.mouth_mask else None
    if options.blend == "seamless":
        blend.paste_seamless(roi, warped, np.where(mask > 127, 255, 0).astype(np.uint8), side)
    else:
        blend.paste_feather(roi, warped, mask.astype(np.float32) / 255 * inside)
    if original is not None:
        # only where the swap itself reached, so nothing outside its mask changes
        mouth = mouth_alpha(roi.shape[:2], points - (x0, y0)) * (mask > 0)
        blend.paste_feather(roi, original, mouth)


def _square_mask(
    local: np.ndarray, n: int, out: tuple[int, int], erode: int, feather: int
) -> tuple[np.ndarray, np.ndarray]:
    """Where the crop lands in the ``out`` (w, h) rectangle (0/255), and that eroded by
    ``erode`` px and feathered by a ``2 * feather + 1`` Gaussian (0..255). Worked out on the
    rectangle grown on every side, the crop carried on past it: the mask shrinks from the
    crop's own edges, never from the rectangle's (where the frame's edge cut the crop, the
    face goes on and is swapped to the edge)."""
    pad = erode + 2 * feather + 2
    grown = local.copy()
    grown[:, 2] += pad
    size = (out[0] + 2 * pad, out[1] + 2 * pad)
    white = cv2.warpAffine(
        np.full((n, n), 255, np.uint8), grown, size, flags=cv2.INTER_LINEAR, borderValue=0
    )
    covered = np.where(white > 20, 255, 0).astype(np.uint8)
    mask = cv2.erode(covered, np.ones((erode, erode), np.uint8))
    if feather:
        mask = cv2.GaussianBlur(mask, (2 * feather + 1, 2 * feather + 1), 0)
    inner = (slice(pad, pad + out[1]), slice(pad, pad + out[0]))
    return covered[inner], mask[inner]


def mouth_alpha(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
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
