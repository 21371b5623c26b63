"""What the detectors and landmarkers hand back, their protocols, and the registries they are
found in by name (one small file each registers itself: ``dlib_hog.py``, ``dlib68.py``,
``blazeface.py``, ``face_mesh.py``, ``palm.py``, ``hand.py``).

The engines take theirs from here by name (:func:`create_runner`); the tracker reaches them
through the engine (``engine.detector``, ``engine.target``: face/faces.py), so it names no
model and assumes no number of points.

A runner type names the model files it needs (paths in the models folder, listed in
config/models.yaml); :func:`unavailable` says why one cannot run here (a file missing or
corrupt, with the command that fetches it) without loading anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from ar_backend.config import FaceConfig, resolve_dir
from ar_backend.face.detect.roi import Roi
from ar_backend.weights import (
    Manifest,
    check_file,
    fetch_command,
    load_manifest,
    manifest_path,
)
from ar_backend.weights.manifest import ManifestError
from shared.registry import Registry

Floats = npt.NDArray[np.float32]
Image = npt.NDArray[np.uint8]


@dataclass
class Found:
    """A detection in frame pixels: its box (x1, y1, x2, y2), keypoints (K, 2) and score."""

    box: Floats
    keypoints: Floats
    score: float


@dataclass
class Landmarks:
    """A landmark model's points in frame pixels ((N, 3): x, y and depth in x's units), its
    presence score (0..1) and the region it looked at."""

    points: Floats
    score: float
    roi: Roi


class Detector(Protocol):
    name: str

    @property
    def sure(self) -> float:
        """A detection scoring at least this is certainly one (the tracker follows it at once;
        under it, a face only starts once the per-frame check sees one: face/live/confirm.py)."""
        ...

    def detect(
        self, image: Image, max_side: int = 0, *, edges: bool = False, thorough: bool = False
    ) -> list[Found]:
        """Every face (or palm) in the frame, best first. ``max_side`` > 0: looked at with its
        longest side at most that (faster, small faces missed; a model with a fixed input
        size ignores it). ``edges``: faces cut by the frame's edge too, where the detector
        can see them. ``thorough``: an uploaded picture, not a live frame (slower, finds
        smaller faces)."""
        ...


class Landmarker(Protocol):
    name: str

    def roi_for(self, found: Found) -> Roi:
        """The region to fit in, from a detection."""
        ...

    def roi_from(self, landmarks: Landmarks) -> Roi:
        """The region to fit in on the next frame, from this frame's landmarks."""
        ...

    def fit(self, image: Image, roi: Roi) -> Landmarks:
        """The landmarks in ``roi`` (their score says whether there is one there)."""
        ...


class ModelFiles:
    """Verified model files for the runners: a file is used only when it is the one the
    manifest lists (size and SHA-256)."""

    def __init__(
        self, models_dir: Path, manifest: Manifest, threads: int = 1, error: str | None = None
    ) -> None:
        self.models_dir = Path(models_dir)
        self.manifest = manifest
        self.threads = threads
        self.error = error  # the manifest could not be read: no file is usable, this is why

    def problem(self, paths: tuple[str, ...]) -> str | None:
        """Why the files cannot be used (missing or corrupt, and the fix); None if they can."""
        if self.error is not None and paths:
            return self.error
        for path in paths:
            found = self.manifest.find(path)
            state = check_file(self.models_dir, self.manifest, path)
            if found is None or state != "present":
                model = found[0] if found is not None else "?"
                what = "not in the manifest" if found is None else state
                return f"{path} is {what} in {self.models_dir} ({fetch_command(model)})"
        return None

    def path(self, rel: str) -> Path:
        reason = self.problem((rel,))
        if reason is not None:
            raise FileNotFoundError(reason)
        return self.models_dir / rel


def model_files(cfg: FaceConfig) -> ModelFiles:
    """The configured models folder and manifest, and the LiteRT thread count. A manifest
    that cannot be read leaves every file unusable, saying why (the studio runs on)."""
    folder = resolve_dir(cfg.models_dir)
    try:
        manifest = load_manifest(manifest_path(cfg.models_manifest))
    except ManifestError as exc:
        return ModelFiles(folder, Manifest(models={}), cfg.detection.threads, str(exc))
    return ModelFiles(folder, manifest, cfg.detection.threads)


T = TypeVar("T", covariant=True)


@dataclass(frozen=True)
class RunnerType(Generic[T]):
    """What a registry holds: ``register("<name>", RunnerType(...))``."""

    description: str
    files: tuple[str, ...]  # model files (relative to the models folder) it needs
    create: Callable[[ModelFiles], T]


FACE_DETECTORS: Registry[RunnerType[Detector]] = Registry("face detector")
FACE_LANDMARKERS: Registry[RunnerType[Landmarker]] = Registry("face landmarker")
HAND_DETECTORS: Registry[RunnerType[Detector]] = Registry("hand detector")
HAND_LANDMARKERS: Registry[RunnerType[Landmarker]] = Registry("hand landmarker")


def unavailable(kind: RunnerType[object], files: ModelFiles) -> str | None:
    """Why ``kind`` cannot run with ``files`` (cheap: no model is loaded); None if it can."""
    return files.problem(kind.files)


R = TypeVar("R")


def create_runner(registry: Registry[RunnerType[R]], name: str, cfg: FaceConfig) -> R:
    """The runner registered as ``name`` (:class:`UnknownName` naming those that are), made
    on its model files, verified (FileNotFoundError saying which and how to fetch it); one
    that needs no file (dlib's: they come with pip) is made without reading the manifest."""
    kind = registry.get(name)
    if not kind.files:
        empty = Manifest(models={})
        return kind.create(ModelFiles(resolve_dir(cfg.models_dir), empty, cfg.detection.threads))
    files = model_files(cfg)
    reason = unavailable(kind, files)
    if reason is not None:
        raise FileNotFoundError(reason)
    return kind.create(files)
