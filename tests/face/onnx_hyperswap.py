"""A tiny ONNX stand-in for FaceFusion's ``hyperswap_1a_256.onnx``, with the real model's
interface (facefusion-labs hyperswap/src/exporting.py; FaceFusion's face_swapper):

- inputs ``source`` [1, 512] float (the unit ArcFace embedding) and ``target``
  [1, 3, S, S] float (the aligned RGB crop, ``(x - 0.5) / 0.5``: -1..1), in that order;
- outputs ``output`` [1, 3, S, S] in -1..1 and ``mask`` [1, 1, S, S] in 0..1.

Here ``output`` is half the target plus half ``tanh`` of a pattern drawn from the embedding
(so it depends on both, and stays in -1..1), and ``mask`` a fixed picture given by the test
(by default an ellipse over the face, as the real mask covers the face and not the crop's
corners). ``mask=None`` builds a file with the one output (FaceFusion reads only the first).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from onnx import TensorProto, helper

from tests.face.onnx_models import build_detector, build_recognizer, const, save_model

SIZE = 256
PATTERN = 16  # the pattern's side before it is scaled up to the crop


def face_mask(size: int = SIZE) -> np.ndarray:
    """A soft ellipse over where ``arcface_128`` puts the face (0..1, ``size x size``)."""
    mask = np.zeros((size, size), np.float32)
    centre = (round(size * 0.5), round(size * 0.55))
    axes = (round(size * 0.33), round(size * 0.42))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), size * 0.02)


def build_hyperswap(
    path: Path,
    seed: int = 3,
    size: int = SIZE,
    mask: np.ndarray | str | None = "face",
) -> Path:
    """A HyperSwap-shaped swapper at ``path`` (see the module doc). ``mask``: ``"face"``
    (:func:`face_mask`), an array (``size x size``, 0..1), or None for no mask output."""
    assert size % PATTERN == 0
    rng = np.random.default_rng(seed)
    pattern = rng.standard_normal((512, 3 * PATTERN * PATTERN)).astype(np.float32)
    scale = float(size // PATTERN)
    nodes = [
        helper.make_node("MatMul", ["source", "pattern"], ["proj"]),
        helper.make_node("Reshape", ["proj", "shape"], ["small"]),
        helper.make_node("Resize", ["small", "", "scales"], ["big"], mode="linear"),
        helper.make_node("Mul", ["big", "gain"], ["big_g"]),
        helper.make_node("Tanh", ["big_g"], ["tone"]),
        helper.make_node("Mul", ["tone", "half"], ["tone_h"]),
        helper.make_node("Mul", ["target", "half"], ["target_h"]),
        helper.make_node("Add", ["target_h", "tone_h"], ["output"]),
    ]
    inits = [
        const("pattern", pattern),
        const("shape", np.array([1, 3, PATTERN, PATTERN], np.int64)),
        const("scales", np.array([1, 1, scale, scale], np.float32)),
        const("gain", np.array(3.0, np.float32)),
        const("half", np.array(0.5, np.float32)),
    ]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])]
    if mask is not None:
        picture = face_mask(size) if isinstance(mask, str) else np.asarray(mask, np.float32)
        assert picture.shape == (size, size)
        # the mask of the target: a fixed picture, times one (an output from a node, as the
        # real MaskNet's sigmoid is)
        nodes.append(helper.make_node("Mul", ["mask_picture", "one"], ["mask"]))
        inits += [
            const("mask_picture", picture.reshape(1, 1, size, size)),
            const("one", np.array(1.0, np.float32)),
        ]
        outputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, size, size]))
    graph = helper.make_graph(
        nodes,
        "tiny_hyperswap",
        [
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512]),
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, size, size]),
        ],
        outputs,
        initializer=inits,
    )
    return save_model(graph, path)


def build_hyperswap_models(
    models_dir: Path,
    swapper_name: str = "hyperswap_1a_256.onnx",
    analysis: str = "buffalo_l",
    size: int = SIZE,
    mask: np.ndarray | str | None = "face",
) -> dict[str, Path]:
    """The three files where the hyperswap engine's default configuration looks for them
    (``size`` and ``mask``: the swapper's, as :func:`build_hyperswap`)."""
    return {
        "detector": build_detector(models_dir / analysis / "det_10g.onnx"),
        "recognizer": build_recognizer(models_dir / analysis / "w600k_r50.onnx"),
        "swapper": build_hyperswap(models_dir / swapper_name, size=size, mask=mask),
    }
