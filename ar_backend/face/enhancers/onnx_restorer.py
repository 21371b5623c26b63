"""GFPGAN 1.4 and GPEN-BFR 256 / 512 as ONNX (facefusion's conversions): one class, three
registered names.

Each face is cut out as an aligned square from its five keypoints (align.py), restored by
the model, and pasted back under a soft box mask, blended over the swapped face at
``strength``. The model's interface is read from the file: its one input (facefusion's
exports call it ``input``), ``[1, 3, N, N]`` float RGB scaled to -1..1 ((x / 255 - 0.5) /
0.5), and its first output, the same shape in -1..1 (clipped, then (y + 1) / 2 * 255 back to
8-bit BGR): ``prepare_crop_frame`` and ``normalize_crop_frame`` in facefusion's
processors/modules/face_enhancer.py. N comes from the file's input shape (a file that leaves
it open gets the model's nominal size), so one class serves 256 and 512.

onnxruntime runs it on the providers of ``face.enhancer.providers`` with ``face.gpu``'s
options (face/runtime/onnx_providers.py); ``info()`` says what the session really got.
onnxruntime is imported only when an enhancer is created.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ar_backend.config import FaceConfig, resolve_dir
from ar_backend.face.enhancers import align, files
from ar_backend.face.enhancers.base import EnhancerType, EnhancerUnavailable, register
from ar_backend.face.enhancers.keypoints import five_points
from ar_backend.face.faces import TargetFace
from ar_backend.face.imaging.tensors import from_signed, signed_blob
from ar_backend.face.runtime.onnx_providers import (
    choose,
    onnx_session,
    session_report,
    warn_once_if_cpu,
)

log = logging.getLogger(__name__)

MIN_SIZE = 16  # a smaller "face crop" is not a restorer's input


class OnnxRestorer:
    """A face restorer model on onnxruntime (see the module doc)."""

    def __init__(self, cfg: FaceConfig, name: str, template: str, nominal: int) -> None:
        reason = files.check(cfg, name)
        if reason:
            raise EnhancerUnavailable(f"{name} is unavailable: {reason}")
        self.name = name
        self.gpu = cfg.gpu
        self.template = template
        path = files.model_path(cfg, name)
        assert path is not None  # (checked above)
        self.path: Path = path
        self.choice = choose(list(cfg.enhancer.providers))
        if not self.choice.providers:
            raise EnhancerUnavailable(
                f"{name} is unavailable: none of the providers {cfg.enhancer.providers} is "
                "available here"
            )
        try:
            self.session: Any = onnx_session(
                self.path, self.choice, cfg.gpu, resolve_dir(cfg.models_dir)
            )
        except Exception as exc:  # a damaged or foreign file: say which
            raise EnhancerUnavailable(
                f"{name} is unavailable: {self.path} could not be loaded "
                f"({exc.__class__.__name__}: {exc})"
            ) from exc
        self.input_name, self.size = self._interface(nominal)
        self.output_name = str(self.session.get_outputs()[0].name)
        self.mask = align.box_mask(self.size)
        warn_once_if_cpu(name, self.info()["gpu_warning"])
        try:  # the first run allocates (seconds on a GPU): here, not in a live frame
            self._restore(np.zeros((self.size, self.size, 3), np.uint8))
        except Exception as exc:
            raise EnhancerUnavailable(
                f"{name} is unavailable: {self.path} failed a test run "
                f"({exc.__class__.__name__}: {exc})"
            ) from exc

    def _interface(self, nominal: int) -> tuple[str, int]:
        """The input's name and side from the file: one input [1, 3, N, N]."""
        inputs = self.session.get_inputs()
        shape = list(inputs[0].shape) if len(inputs) == 1 else []
        if len(shape) != 4 or shape[1] != 3 or not self.session.get_outputs():
            found = ", ".join(f"{i.name} {list(i.shape)}" for i in inputs)
            raise EnhancerUnavailable(
                f"{self.name} is unavailable: {self.path} is not a face restorer model "
                f"(inputs {found}; one input [1, 3, N, N] expected)"
            )
        height, width = shape[2], shape[3]
        sides = {s for s in (height, width) if isinstance(s, int)}
        if len(sides) > 1:
            raise EnhancerUnavailable(
                f"{self.name} is unavailable: {self.path} takes {height}x{width} crops "
                "(square ones expected)"
            )
        size = sides.pop() if sides else nominal  # an open size: the model's own
        if size < MIN_SIZE:
            raise EnhancerUnavailable(
                f"{self.name} is unavailable: {self.path} takes {size}x{size} crops"
            )
        return str(inputs[0].name), int(size)

    def _restore(self, crop: np.ndarray) -> np.ndarray:
        """The model on one aligned BGR crop: the restored crop, 8-bit BGR."""
        tensor = signed_blob(crop)  # RGB, (x / 255 - 0.5) / 0.5, NCHW
        out = np.asarray(self.session.run([self.output_name], {self.input_name: tensor})[0])
        n = self.size
        if out.shape != (1, 3, n, n):
            raise RuntimeError(
                f"{self.path.name} gave an output of shape {list(out.shape)}, "
                f"expected [1, 3, {n}, {n}]"
            )
        return from_signed(out[0])  # (clip(y, -1, 1) + 1) / 2 * 255, BGR

    def enhance(
        self, image: np.ndarray, faces: Sequence[TargetFace], strength: float
    ) -> np.ndarray:
        out = image.copy()
        strength = float(min(1.0, max(0.0, strength)))
        if strength <= 0.0:
            return out
        alpha = self.mask * np.float32(strength)
        for face in faces:
            points = five_points(face.points)
            if points is None:
                continue  # landmarks of another kind: nothing to align on
            matrix = align.matrix_for(points, self.template, self.size)
            if matrix is None:
                continue
            restored = self._restore(align.crop(out, matrix, self.size))
            align.paste(out, restored, alpha, matrix)
        return out

    def info(self) -> dict[str, Any]:
        return {
            **session_report({"enhancer": self.session}, self.choice, self.gpu),
            "model": str(self.path),
            "input": {"name": self.input_name, "size": self.size},
            "template": self.template,
        }

    def close(self) -> None:
        # onnxruntime frees a session when the last reference goes
        self.session = None


def _register(name: str, template: str, nominal: int, description: str) -> None:
    register(
        name,
        EnhancerType(
            description=description,
            check=lambda cfg: files.check(cfg, name),
            create=lambda cfg: OnnxRestorer(cfg, name, template, nominal),
        ),
    )


# facefusion's model set (processors/modules/face_enhancer.py): each one's template and size
_register("gfpgan_1.4", "ffhq_512", 512, "GFPGAN 1.4 face restorer (512 px; Apache-2.0)")
_register(
    "gpen_bfr_256",
    "arcface_128",
    256,
    "GPEN-BFR 256 face restorer (the fastest; non-commercial use only)",
)
_register("gpen_bfr_512", "ffhq_512", 512, "GPEN-BFR 512 face restorer (non-commercial use only)")
