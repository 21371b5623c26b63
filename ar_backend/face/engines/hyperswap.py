"""``hyperswap``: FaceFusion's HyperSwap swapper (``hyperswap_1a_256``: 256 px output, against
inswapper's 128 px) on insightface's SCRFD detector and ArcFace recognizer.

The model files are the user's, in the models folder (``python -m ar_backend.weights fetch
hyperswap_1a_256 buffalo_l`` downloads verified copies; the engine itself downloads nothing):
``<models_dir>/<hyperswap.model>`` and the analysis pack's detector and recognizer in
``<models_dir>/<hyperswap.analysis>/`` (the same ``buffalo_l`` pack inswapper uses). A file
listed in the model manifest (``face.models_manifest``) whose size or SHA-256 differs makes
the engine unavailable: it is never opened.

The conventions, from the model's authors (FaceFusion and facefusion-labs):

- **Identity**: the source's ArcFace w600k_r50 embedding, made unit length, shape [1, 512]
  (``prepare_source_embedding`` for type ``hyperswap``: ``source_face.normed_embedding`` in
  FaceFusion 3.3.0 and ``embedding_norm`` in 3.8, both the unit vector, insightface's
  ``normed_embedding``; facefusion/processors/modules/face_swapper[/core].py). No embedding
  converter: FaceFusion's model set lists none for hyperswap (ghost, simswap and hififace
  have one). FaceFusion's recognizer (facefusion/face_recognizer.py) is
  ``arcface_w600k_r50.onnx`` on a 112 px ``arcface_112_v2`` crop scaled to -1..1, which is
  what insightface's ArcFaceONNX does with buffalo_l's ``w600k_r50.onnx``, so the embedding
  here is the one reference mode uses. A face set's identity is the mean of its photos'
  unit embeddings, made unit again (the model was trained on unit embeddings:
  ``nn.functional.normalize`` in facefusion-labs hyperswap/src/training.py).
- **Alignment**: the target's 5 keypoints onto FaceFusion's ``arcface_128`` template
  (facefusion/face_helper.py ``WARP_TEMPLATE_SET``: insightface's ArcFace points laid out as
  for its 128 px crop, here as fractions of the side) scaled to the model's size, by a
  similarity transform (``cv2.estimateAffinePartial2D``, RANSAC with a 100 px threshold, as
  ``estimate_matrix_by_face_landmark_5``), the frame warped with replicated borders.
- **Input**: ``source`` [1, 512] and ``target`` [1, 3, S, S] (S = 256; read from the session
  here, so another size works), names as exported by facefusion-labs
  hyperswap/src/exporting.py (``input_names = ['source', 'target']``) and fed by name by
  FaceFusion's ``forward_swap_face``. The crop is RGB, scaled to 0..1, then
  ``(x - 0.5) / 0.5`` (the model set's mean and standard deviation, ``prepare_crop_frame``).
- **Output**: ``output`` [1, 3, S, S] in -1..1 (the generator's tanh face, already composited
  over the target by its mask: facefusion-labs hyperswap/src/models/generator.py), made
  0..1 by ``x * 0.5 + 0.5``, clipped, RGB to BGR (``normalize_crop_frame``); and ``mask``
  [1, 1, S, S] in 0..1 (a sigmoid, MaskNet: ``output_names = ['output', 'mask']``).
  FaceFusion itself reads only the first output and pastes under its own box mask. The mask
  is already blended into ``output``: weighing the paste by it again would weaken the swap
  where it is soft (the jaw, the hairline). Here it only bounds the paste: where it is over
  :data:`MASK_THRESHOLD`, grown by :data:`MASK_GROW` of the crop (:func:`changed_region`),
  the paste is at full strength; beyond, the frame keeps its own pixels (not resampled
  twice) where the model left the target as it was.
- **Pasting**: the crop goes back under the soft mask inswapper uses
  (``insight_analysis.paste_crop``: feather or Poisson blend, ``mouth_mask`` puts the
  target's mouth back). ``arcface_128`` frames the face as insightface's 128 px crop does,
  so the same mask fits.
- Not taken over: FaceFusion's ``face_swapper_weight`` (``balance_source_embedding``, 3.4+)
  blends the target's embedding into the source's; at its default (0.5) it leaves the source
  as it is, which is what is fed here.

Licence: the weights are FaceFusion's, ``ResearchRAIL-MS`` (facefusion-labs hyperswap/
LICENSE.md; the model set's metadata says ``ResearchRAIL``): a Responsible AI Licence for
research use, not for commercial use.

onnxruntime runs the swapper (a session of its own, ``onnx_providers.onnx_session``) and the
detector and recognizer (through insightface's model zoo) on the providers chosen in
``face.hyperswap.providers``; ``info()`` reports the ones each session actually got.
insightface and onnxruntime are imported only when the engine is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.engines.base import EngineType, register
from ar_backend.face.engines.insight_analysis import (
    InsightAnalysis,
    files_message,
    mean_unit_embedding,
    models_dir,
    paste_crop,
)
from ar_backend.face.errors import EngineUnavailable
from ar_backend.face.faces import SourceFace, TargetFace
from ar_backend.face.imaging.tensors import from_signed, signed_blob
from ar_backend.face.runtime.onnx_providers import (
    onnx_session,
    session_report,
    warn_once_if_cpu,
)
from shared.wire.backend import EngineInfo
from shared.wire.backend import SwapperIO as SwapperIOOut

NAME = "hyperswap"

# FaceFusion's 'arcface_128' warp template (facefusion/face_helper.py): where the eyes, the
# nose tip and the mouth corners go, as fractions of the crop's side
ARCFACE_128 = np.array(
    [
        [0.36167656, 0.40387734],
        [0.63696719, 0.40235469],
        [0.50019687, 0.56044219],
        [0.38710391, 0.72160547],
        [0.61507734, 0.72034453],
    ],
    np.float32,
)
# the model set's mean and standard deviation are 0.5 each channel: face/imaging/tensors.py
DEFAULT_SIZE = 256  # only for a file whose target input has no fixed size
EMBEDDING = 512
DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


# ---- model files ---------------------------------------------------------------------------


def model_paths(cfg: FaceConfig) -> dict[str, Path]:
    root = models_dir(cfg)
    hs = cfg.hyperswap
    return {
        "swapper": root / hs.model,
        "detector": root / hs.analysis / hs.detector,
        "recognizer": root / hs.analysis / hs.recognizer,
    }


def _check(cfg: FaceConfig) -> str | None:
    return files_message(cfg, list(model_paths(cfg).values()))


# ---- the swapper's inputs and outputs ------------------------------------------------------


@dataclass(frozen=True)
class SwapperIO:
    """What the swapper file takes and gives, read from its session."""

    source: str
    target: str
    size: int
    source_dtype: Any
    target_dtype: Any
    output: str
    mask: str | None

    @classmethod
    def read(cls, session: Any, path: Path) -> SwapperIO:
        """The names, the crop size and the dtypes; :class:`EngineUnavailable` when the file
        does not have HyperSwap's interface."""
        inputs = {i.name: i for i in session.get_inputs()}
        outputs = session.get_outputs()
        source, target = inputs.get("source"), inputs.get("target")

        def refuse(why: str) -> EngineUnavailable:
            got = ", ".join(f"{i.name} {i.shape}" for i in inputs.values())
            return EngineUnavailable(
                f"{NAME} is unavailable: {path} is not a HyperSwap model ({why}; its inputs: "
                f"{got}; expected source [1, {EMBEDDING}] and target [1, 3, S, S])"
            )

        if source is None or target is None:
            raise refuse("no source and target inputs")
        if len(source.shape) != 2 or source.shape[-1] not in (EMBEDDING, *_dynamic(source)):
            raise refuse("its source input is not one 512-d embedding")
        if len(target.shape) != 4 or target.shape[1] not in (3, *_dynamic(target, 1)):
            raise refuse("its target input is not a colour image")
        side = target.shape[2:]
        if all(isinstance(s, int) for s in side):
            if side[0] != side[1]:
                raise refuse("its target input is not square")
            size = int(side[0])
        else:
            size = DEFAULT_SIZE
        if source.type not in DTYPES or target.type not in DTYPES:
            raise refuse(f"inputs of type {source.type} and {target.type}")
        if not outputs:
            raise refuse("no output")
        names = [o.name for o in outputs]
        output = "output" if "output" in names else names[0]
        rest = [n for n in names if n != output]
        mask = "mask" if "mask" in rest else (rest[0] if rest else None)
        return cls(
            source=source.name,
            target=target.name,
            size=size,
            source_dtype=DTYPES[source.type],
            target_dtype=DTYPES[target.type],
            output=output,
            mask=mask,
        )


def _dynamic(arg: Any, axis: int = -1) -> tuple[Any, ...]:
    """The input's size on ``axis`` when it is not fixed (a name, or None), else nothing."""
    dim = arg.shape[axis]
    return () if isinstance(dim, int) else (dim,)


def alignment(points: np.ndarray, size: int) -> np.ndarray | None:
    """The frame-to-crop similarity transform putting the 5 keypoints on the ``arcface_128``
    template at ``size`` px (None when it cannot be estimated)."""
    matrix, _inliers = cv2.estimateAffinePartial2D(
        points.astype(np.float32),
        ARCFACE_128 * np.float32(size),
        method=cv2.RANSAC,
        ransacReprojThreshold=100,
    )
    if matrix is None or not np.all(np.isfinite(matrix)):
        return None
    return np.asarray(matrix, np.float64)


MASK_THRESHOLD = 0.1  # the model's mask over this: it changed the target there
MASK_GROW = 0.04  # the changed region grown by this share of the crop's side


def changed_region(mask: np.ndarray) -> np.ndarray:
    """Where the model changed the target, 0 or 1 (float32): its mask over
    :data:`MASK_THRESHOLD`, dilated by :data:`MASK_GROW` of the side (see the module doc)."""
    k = max(3, round(mask.shape[0] * MASK_GROW) | 1)
    region = (np.asarray(mask) > MASK_THRESHOLD).astype(np.uint8)
    return cv2.dilate(region, np.ones((k, k), np.uint8)).astype(np.float32)


def to_blob(crop: np.ndarray, dtype: npt.DTypeLike) -> np.ndarray:
    """A BGR uint8 crop as the model's target: RGB, 0..1, ``(x - 0.5) / 0.5``, NCHW."""
    return signed_blob(crop, dtype)


def from_output(output: np.ndarray) -> np.ndarray:
    """The model's [3, S, S] output (-1..1, RGB: ``x * 0.5 + 0.5``) as a BGR uint8 crop."""
    return from_signed(output)


# ---- the engine ----------------------------------------------------------------------------


class HyperswapEngine(InsightAnalysis):
    """Detection, tracking, identity and sources come from :class:`InsightAnalysis`."""

    name = NAME

    def __init__(self, cfg: FaceConfig) -> None:
        self._open(cfg, cfg.hyperswap, model_paths(cfg), _check)
        path = self.paths["swapper"]
        try:
            self.session: Any = onnx_session(path, self.choice, cfg.gpu, models_dir(cfg))
        except Exception as exc:  # a damaged or foreign file: say which
            raise EngineUnavailable(
                f"{NAME} is unavailable: {path} could not be loaded "
                f"({exc.__class__.__name__}: {exc})"
            ) from exc
        self.io = SwapperIO.read(self.session, path)
        warn_once_if_cpu(NAME, self.info().gpu_warning)

    # ---- rendering -------------------------------------------------------------------------

    def render(
        self,
        image: np.ndarray,
        faces: list[TargetFace],
        source: SourceFace,
        options: FaceOptions,
    ) -> np.ndarray:
        latent = self._identity(source)
        size = self.io.size
        for face in faces:
            points = np.asarray(face.points, np.float32)
            if points.shape != (5, 2):
                continue  # landmarks from another engine: not this engine's face
            matrix = alignment(points, size)
            if matrix is None:
                continue
            crop = cv2.warpAffine(
                image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            fake, mask = self.swap(latent, crop)
            region = None if mask is None else changed_region(mask)
            paste_crop(image, fake, matrix, points, options, region)
        return image

    def swap(self, latent: np.ndarray, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The swapped crop (BGR uint8) and the model's mask of it (0..1; None without one)."""
        io = self.io
        wanted = [io.output] if io.mask is None else [io.output, io.mask]
        got = self.session.run(
            wanted,
            {io.source: latent.astype(io.source_dtype), io.target: to_blob(crop, io.target_dtype)},
        )
        fake = from_output(np.asarray(got[0])[0])
        if io.mask is None:
            return fake, None
        mask = np.asarray(got[1], np.float32).reshape(fake.shape[:2])
        return fake, mask

    @staticmethod
    def _identity(source: SourceFace) -> np.ndarray:
        """The unit embedding [1, 512] the swapper takes (a face set: worked out once and kept
        with the source)."""
        if not source.data.get("set"):
            unit = np.asarray(source.data["face"].normed_embedding, np.float32)
            return unit.reshape(1, -1)
        cached = source.data.get("set_unit")
        if cached is None:
            cached = mean_unit_embedding(source).astype(np.float32).reshape(1, -1)
            source.data["set_unit"] = cached
        return np.asarray(cached)

    # ---- status ----------------------------------------------------------------------------

    def info(self) -> EngineInfo:
        sessions = {
            "swapper": self.session,
            "detector": None if self.detector.model is None else self.detector.model.session,
            "recognizer": None if self.recognizer is None else self.recognizer.session,
        }
        return EngineInfo(
            **session_report(sessions, self.choice, self.cfg.gpu),
            models={role: str(path) for role, path in self.paths.items()},
            swapper_io=SwapperIOOut(
                size=self.io.size,
                inputs=[self.io.source, self.io.target],
                mask_output=self.io.mask is not None,
            ),
        )

    def close(self) -> None:
        # onnxruntime frees a session when the last reference goes
        self.detector.model = self.recognizer = self.session = None


register(
    NAME,
    EngineType(
        description="FaceFusion HyperSwap 1a (256 px) on onnxruntime (GPU when available; "
        "needs the model files in the models folder)",
        check=_check,
        create=HyperswapEngine,
    ),
)
