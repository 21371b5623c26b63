"""Tiny ONNX face restorers with the interface of facefusion's gfpgan_1.4.onnx and
gpen_bfr_256 / 512.onnx: one input ``input`` [1, 3, N, N] (RGB in -1..1) and one output
``output`` of the same shape in -1..1. No real weights exist on the test machines, so each
does something a test can see instead of restoring:

- ``invert``: the crop's colours inverted (y = -x): the restored face is the negative of
  the swapped one, so blending it in at a strength is measurable pixel by pixel;
- ``marks``: a fixed picture, dark everywhere but for a bright square at each of the five
  template keypoints, whatever the input: pasted back, the squares land where the face's
  keypoints are in the frame (only if the crop was aligned on them and put back with the
  inverse warp).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from ar_backend.face.enhancers.align import TEMPLATES
from tests.face.onnx_models import save_model

MARK_HALF = 3  # the marks' half-side in crop pixels


def marks_picture(size: int, template: str) -> np.ndarray:
    """The ``marks`` model's output, [1, 3, size, size] in -1..1."""
    out = -np.ones((1, 3, size, size), np.float32)
    for x, y in TEMPLATES[template] * size:
        cx, cy = round(float(x)), round(float(y))
        out[:, :, cy - MARK_HALF : cy + MARK_HALF + 1, cx - MARK_HALF : cx + MARK_HALF + 1] = 1.0
    return out


def build_enhancer(
    path: Path,
    size: int = 512,
    kind: str = "invert",
    template: str = "ffhq_512",
    dynamic: bool = False,
) -> Path:
    """A restorer-shaped model (see the module doc); ``dynamic`` leaves the input's height
    and width open (``?``), as an export without fixed sizes would."""
    side: int | str = "?" if dynamic else size
    if kind == "invert":
        nodes = [helper.make_node("Neg", ["input"], ["output"])]
        inits = []
    elif kind == "marks":
        nodes = [
            helper.make_node("Mul", ["input", "zero"], ["nothing"]),
            helper.make_node("Add", ["nothing", "picture"], ["output"]),
        ]
        inits = [
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(marks_picture(size, template), "picture"),
        ]
    else:
        raise ValueError(kind)
    graph = helper.make_graph(
        nodes,
        f"tiny_restorer_{kind}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, side, side])],
        initializer=inits,
    )
    return save_model(graph, path)


def build_not_a_restorer(path: Path) -> Path:
    """A model with a restorer's file name and another interface: two inputs."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["input", "other"], ["output"])],
        "not_a_restorer",
        [
            helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 64]),
            helper.make_tensor_value_info("other", TensorProto.FLOAT, [1, 3, 64, 64]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 64, 64])],
    )
    return save_model(graph, path)
