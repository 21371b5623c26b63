"""``inswapper``: insightface's SCRFD detector, ArcFace recognizer and inswapper_128 swapper.

The model files are the user's, in the models folder (``python -m ar_backend.weights fetch``
downloads verified copies; the engine itself downloads nothing):
``<models_dir>/<inswapper.model>`` (``inswapper_128_fp16.onnx`` stands in for a missing
``inswapper_128.onnx``) and the analysis pack's detector and recognizer in
``<models_dir>/<inswapper.analysis>/``. A file listed in the model manifest
(``face.models_manifest``) whose size or SHA-256 differs makes the engine unavailable: it is
never opened.

The swapper returns the swapped face as a 128x128 aligned crop; it is pasted back
(``insight_analysis.paste_crop``) under a mask made from the crop's square warped into the
frame, eroded and feathered (or Poisson blended), so pixels outside the mask are never
touched. With ``mouth_mask`` the target's own mouth is put back over the swapped one.
Detection, tracking, identity (reference mode) and sources are ``InsightAnalysis``'s, shared
with the ``hyperswap`` engine.

onnxruntime runs the models on the execution providers chosen in ``onnx_providers``;
``info()`` reports the ones each session actually got, so a fall back to the CPU shows.
insightface and onnxruntime are imported only when the engine is created.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.engines.base import EngineType, register
from ar_backend.face.engines.insight_analysis import (
    InsightAnalysis,
    corrupt_message,
    files_message,
    insight_face,
    load_zoo_model,
    mean_unit_embedding,
    models_dir,
    paste_crop,
)
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.runtime.onnx_providers import (
    session_report,
    warn_once_if_cpu,
)
from shared.wire.backend import EngineInfo

log = logging.getLogger(__name__)

NAME = "inswapper"


# ---- model files ---------------------------------------------------------------------------


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


def _check(cfg: FaceConfig) -> str | None:
    paths = model_paths(cfg)
    alt = _fp16_name(paths["swapper"].name)
    return files_message(cfg, paths.values(), {paths["swapper"]: alt} if alt else None)


def _corrupt_message(cfg: FaceConfig) -> str | None:
    """The files whose size or SHA-256 differs from the manifest's; never opened."""
    return corrupt_message(cfg, model_paths(cfg).values())


# ---- the engine ----------------------------------------------------------------------------


class InswapperEngine(InsightAnalysis):
    """Detection, tracking, identity and sources come from :class:`InsightAnalysis`."""

    name = NAME

    def __init__(self, cfg: FaceConfig) -> None:
        options = self._open(cfg, cfg.inswapper, model_paths(cfg), _check)
        from insightface.model_zoo.inswapper import INSwapper

        self.swapper: Any = load_zoo_model(
            NAME, "swapper", self.paths["swapper"], INSwapper, self.choice.providers, options
        )
        warn_once_if_cpu(NAME, self.info().gpu_warning)

    # ---- rendering -------------------------------------------------------------------------

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        identity = self._identity(source)
        for face in faces:
            points = np.asarray(face.points, np.float32)
            if points.shape != (5, 2):
                continue  # landmarks from another engine: not this engine's face
            target = insight_face(face)
            fake, matrix = self.swapper.get(image, target, identity, paste_back=False)
            paste_crop(image, fake, matrix, points, options)
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
            mean = mean_unit_embedding(source)
            cached = Face(
                bbox=first.bbox,
                kps=first.kps,
                det_score=first.det_score,
                embedding=(mean * float(first.embedding_norm)).astype(np.float32),
            )
            source.data["set_identity"] = cached
        return cached

    # ---- status ----------------------------------------------------------------------------

    def info(self) -> EngineInfo:
        sessions = {
            role: None if model is None else model.session
            for role, model in (
                ("swapper", self.swapper),
                ("detector", self.detector.model),
                ("recognizer", self.recognizer),
            )
        }
        return EngineInfo(
            **session_report(sessions, self.choice, self.cfg.gpu),
            models={role: str(path) for role, path in self.paths.items()},
        )

    def close(self) -> None:
        # onnxruntime frees a session when the last reference goes
        self.detector.model = self.recognizer = self.swapper = None


register(
    NAME,
    EngineType(
        description="insightface inswapper_128 on onnxruntime (GPU when available; "
        "needs the model files in the models folder)",
        check=_check,
        create=InswapperEngine,
    ),
)
