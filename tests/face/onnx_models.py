"""Tiny ONNX models with the interfaces of insightface's buffalo_l pack and inswapper_128.

No real weights exist on the test machines and nothing may be downloaded, so the tests build
stand-ins that insightface's ``model_zoo.get_model`` routes and runs exactly as it would the
real files:

- ``det_10g.onnx`` (SCRFD, 9 outputs: scores, boxes and keypoints for strides 8, 16, 32 with
  2 anchors; a static 640x640 input, or any size like the real one). It "detects" the one
  bright blob of the image: the centroid of the pixels brighter than about 150 is the face
  centre, twice their spread on each axis its half-size, and the five keypoints sit at fixed
  places in that box. So a test image is a bright textured ellipse (the face) on a dark
  background, and the detector follows it wherever it is drawn, in a whole frame or in a
  crop of one.
- ``w600k_r50.onnx`` (ArcFace: [1,3,112,112] -> [1,512]): a fixed random projection of the
  8x8-pooled aligned face, so different face textures give different embeddings.
- ``inswapper_128.onnx`` (``target`` [1,3,128,128] and ``source`` [1,512] ->
  [1,3,128,128] in 0..1): half the target plus half a pattern drawn from the latent, so the
  output depends on both. Its last initializer is the 512x512 ``emap`` that insightface's
  INSwapper reads as ``graph.initializer[-1]``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # old enough for any onnxruntime the project supports

DET_SIZE = 640
STRIDES = (8, 16, 32)
ANCHORS = 2

# the five keypoints in the face box, as fractions of its half-size from its centre
KPS_UV = np.array(
    [[-0.35, -0.2], [0.35, -0.2], [0.0, 0.1], [-0.28, 0.45], [0.28, 0.45]], np.float32
)


def const(name: str, value: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def save_model(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def build_detector(path: Path, dynamic: bool = False) -> Path:
    """A SCRFD-shaped detector of the one bright blob in the image (see the module doc).

    Static 640x640 input by default; ``dynamic``: any size (``?`` height and width, as the
    real det_10g.onnx), for which insightface builds one fixed-size session per input size.
    """
    f = np.float32
    nodes = []
    inits = [
        const("axes_d", np.array([2], np.int64)),
        const("axes_h", np.array([2], np.int64)),
        const("axes_w", np.array([3], np.int64)),
        const("axes_last", np.array([1], np.int64)),
        const("idx_h", np.array(2, np.int64)),
        const("idx_w", np.array(3, np.int64)),
        const("zero_i", np.array(0, np.int64)),
        const("one_i", np.array(1, np.int64)),
        const("anchors_i", np.array(ANCHORS, np.int64)),
        const("thr", np.array(0.2, f)),  # normalised (p - 127.5) / 128: p ~ 153
        const("gain", np.array(40.0, f)),
        const("eps", np.array(1e-3, f)),
        const("two", np.array(2.0, f)),
        const("min_mass", np.array(100.0, f)),
        const("mass_gain", np.array(0.1, f)),
        const("score_scale", np.array(0.9, f)),
        const("shape_11", np.array([1, 1], np.int64)),
        const("shape_1_10", np.array([1, 10], np.int64)),
        const("box_sign", np.array([[-1, -1, 1, 1]], f) / f(32)),
        const("kps_u", KPS_UV[:, 0].reshape(1, 5)),
        const("kps_v", KPS_UV[:, 1].reshape(1, 5)),
        const("inv_stride", np.array(1 / 32, f)),
    ]
    add = nodes.append
    # the input's height and width, and pixel coordinates along each
    add(helper.make_node("Shape", ["input.1"], ["in_shape"]))
    add(helper.make_node("Gather", ["in_shape", "idx_h"], ["size_y"]))
    add(helper.make_node("Gather", ["in_shape", "idx_w"], ["size_x"]))
    for axis in ("x", "y"):
        add(helper.make_node("Range", ["zero_i", f"size_{axis}", "one_i"], [f"r_{axis}"]))
        add(helper.make_node("Cast", [f"r_{axis}"], [f"rf_{axis}"], to=TensorProto.FLOAT))
        add(helper.make_node("Unsqueeze", [f"rf_{axis}", "axes_last"], [f"coords_{axis}"]))
        add(helper.make_node("Mul", [f"coords_{axis}", f"coords_{axis}"], [f"coords2_{axis}"]))
    # a soft 0/1 weight per pixel: brighter than the threshold
    add(helper.make_node("ReduceMean", ["input.1"], ["gray"], axes=[1], keepdims=1))
    add(helper.make_node("Sub", ["gray", "thr"], ["gray_d"]))
    add(helper.make_node("Mul", ["gray_d", "gain"], ["gray_g"]))
    add(helper.make_node("Sigmoid", ["gray_g"], ["w"]))
    # column and row masses, then the first and second moments on each axis
    add(helper.make_node("ReduceSum", ["w", "axes_h"], ["col"], keepdims=0))  # [1,1,W]
    add(helper.make_node("ReduceSum", ["w", "axes_w"], ["row"], keepdims=0))  # [1,1,H]
    for axis, mass in (("x", "col"), ("y", "row")):
        add(helper.make_node("ReduceSum", [mass, "axes_d"], [f"m_{axis}"], keepdims=1))
        add(helper.make_node("MatMul", [mass, f"coords_{axis}"], [f"s_{axis}"]))
        add(helper.make_node("MatMul", [mass, f"coords2_{axis}"], [f"ss_{axis}"]))
        add(helper.make_node("Add", [f"m_{axis}", "eps"], [f"me_{axis}"]))
        add(helper.make_node("Div", [f"s_{axis}", f"me_{axis}"], [f"c3_{axis}"]))
        add(helper.make_node("Div", [f"ss_{axis}", f"me_{axis}"], [f"e2_{axis}"]))
        add(helper.make_node("Mul", [f"c3_{axis}", f"c3_{axis}"], [f"csq_{axis}"]))
        add(helper.make_node("Sub", [f"e2_{axis}", f"csq_{axis}"], [f"var_{axis}"]))
        add(helper.make_node("Relu", [f"var_{axis}"], [f"varp_{axis}"]))
        add(helper.make_node("Add", [f"varp_{axis}", "eps"], [f"vare_{axis}"]))
        add(helper.make_node("Sqrt", [f"vare_{axis}"], [f"sd3_{axis}"]))
        add(helper.make_node("Reshape", [f"c3_{axis}", "shape_11"], [f"c_{axis}"]))
        add(helper.make_node("Reshape", [f"sd3_{axis}", "shape_11"], [f"sd_{axis}"]))
        add(helper.make_node("Mul", [f"sd_{axis}", "two"], [f"half_{axis}"]))  # 2 sigma
        add(helper.make_node("Sub", [f"c_{axis}", f"half_{axis}"], [f"lo_{axis}"]))
        add(helper.make_node("Add", [f"c_{axis}", f"half_{axis}"], [f"hi_{axis}"]))
    # score: sure when there is a blob of more than ~100 px, else nothing
    add(helper.make_node("Reshape", ["m_x", "shape_11"], ["mass"]))
    add(helper.make_node("Sub", ["mass", "min_mass"], ["mass_d"]))
    add(helper.make_node("Mul", ["mass_d", "mass_gain"], ["mass_g"]))
    add(helper.make_node("Sigmoid", ["mass_g"], ["sure"]))
    add(helper.make_node("Mul", ["sure", "score_scale"], ["score"]))  # [1,1]
    # distances from the anchor at (0, 0), in strides: (0 - x1, 0 - y1, x2, y2) / 32
    add(helper.make_node("Concat", ["lo_x", "lo_y", "hi_x", "hi_y"], ["box"], axis=1))
    add(helper.make_node("Mul", ["box", "box_sign"], ["box_d"]))  # [1,4]
    add(helper.make_node("Mul", ["half_x", "kps_u"], ["ku"]))
    add(helper.make_node("Add", ["c_x", "ku"], ["kx"]))  # [1,5]
    add(helper.make_node("Mul", ["half_y", "kps_v"], ["kv"]))
    add(helper.make_node("Add", ["c_y", "kv"], ["ky"]))
    add(helper.make_node("Concat", ["kx", "ky"], ["kxy"], axis=0))  # [2,5]
    add(helper.make_node("Transpose", ["kxy"], ["kyx"], perm=[1, 0]))  # [5,2]
    add(helper.make_node("Reshape", ["kyx", "shape_1_10"], ["kflat"]))
    add(helper.make_node("Mul", ["kflat", "inv_stride"], ["kps_d"]))  # [1,10]

    outputs: dict[str, list[onnx.ValueInfoProto]] = {"score": [], "bbox": [], "kps": []}
    for stride in STRIDES:
        # (H / stride) * (W / stride) * anchors candidates; only the first one, at (0, 0),
        # of the coarsest stride carries the face
        inits.append(const(f"stride_{stride}", np.array(stride, np.int64)))
        add(helper.make_node("Div", ["size_y", f"stride_{stride}"], [f"gh_{stride}"]))
        add(helper.make_node("Div", ["size_x", f"stride_{stride}"], [f"gw_{stride}"]))
        add(helper.make_node("Mul", [f"gh_{stride}", f"gw_{stride}"], [f"cells_{stride}"]))
        add(helper.make_node("Mul", [f"cells_{stride}", "anchors_i"], [f"count_{stride}"]))
        add(helper.make_node("Range", ["zero_i", f"count_{stride}", "one_i"], [f"ids_{stride}"]))
        first = "zero_i" if stride == 32 else f"count_{stride}"  # no index equals the count
        add(helper.make_node("Equal", [f"ids_{stride}", first], [f"is_{stride}"]))
        add(helper.make_node("Cast", [f"is_{stride}"], [f"hf_{stride}"], to=TensorProto.FLOAT))
        add(helper.make_node("Unsqueeze", [f"hf_{stride}", "axes_last"], [f"hot_{stride}"]))
        count: int | str = f"n{stride}" if dynamic else (DET_SIZE // stride) ** 2 * ANCHORS
        for kind, value, width in (
            ("score", "score", 1),
            ("bbox", "box_d", 4),
            ("kps", "kps_d", 10),
        ):
            name = f"{kind}_{stride}"
            add(helper.make_node("Mul", [f"hot_{stride}", value], [name]))
            outputs[kind].append(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, [count, width])
            )
    side: int | str = "?" if dynamic else DET_SIZE
    graph = helper.make_graph(
        nodes,
        "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, side, side])],
        outputs["score"] + outputs["bbox"] + outputs["kps"],
        initializer=inits,
    )
    return save_model(graph, path)


def build_recognizer(path: Path, seed: int = 1) -> Path:
    """An ArcFace-shaped recognizer: a fixed random projection of the pooled aligned face
    (node names avoid ``Sub*``/``Mul*``, so insightface normalises with 127.5 as for w600k)."""
    rng = np.random.default_rng(seed)
    pooled = 3 * 14 * 14
    weights = (rng.standard_normal((pooled, 512)) / np.sqrt(pooled)).astype(np.float32)
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pool"], kernel_shape=[8, 8], strides=[8, 8], name="pool"
        ),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1, name="flatten"),
        # less the mean brightness, so the texture (the "identity") decides the embedding
        helper.make_node("ReduceMean", ["flat"], ["level"], axes=[1], keepdims=1, name="level"),
        helper.make_node("Sub", ["flat", "level"], ["detail"], name="detail"),
        helper.make_node("MatMul", ["detail", "proj_w"], ["683"], name="projection"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, [1, 512])],
        initializer=[const("proj_w", weights)],
    )
    return save_model(graph, path)


def build_swapper(path: Path, seed: int = 2) -> Path:
    """An inswapper-shaped swapper: 0.5 * target + 0.5 * sigmoid(pattern of the latent)."""
    rng = np.random.default_rng(seed)
    pattern = rng.standard_normal((512, 3 * 16 * 16)).astype(np.float32)
    emap = (rng.standard_normal((512, 512)) / np.sqrt(512)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["source", "pattern"], ["proj"]),
        helper.make_node("Reshape", ["proj", "shape"], ["small"]),
        helper.make_node("Resize", ["small", "", "scales"], ["big"], mode="linear"),
        helper.make_node("Mul", ["big", "gain"], ["big_g"]),
        helper.make_node("Sigmoid", ["big_g"], ["tone"]),
        helper.make_node("Mul", ["tone", "half"], ["tone_h"]),
        helper.make_node("Mul", ["target", "half"], ["target_h"]),
        helper.make_node("Add", ["target_h", "tone_h"], ["output"]),
    ]
    inits = [
        const("pattern", pattern),
        const("shape", np.array([1, 3, 16, 16], np.int64)),
        const("scales", np.array([1, 1, 8, 8], np.float32)),
        const("gain", np.array(3.0, np.float32)),
        const("half", np.array(0.5, np.float32)),
        const("emap", emap),  # last, where insightface looks for it
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_inswapper",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        initializer=inits,
    )
    return save_model(graph, path)


def build_models(
    models_dir: Path,
    swapper_name: str = "inswapper_128.onnx",
    analysis: str = "buffalo_l",
    dynamic_detector: bool = False,
) -> dict[str, Path]:
    """The three files where the engine's default configuration looks for them."""
    return {
        "detector": build_detector(models_dir / analysis / "det_10g.onnx", dynamic_detector),
        "recognizer": build_recognizer(models_dir / analysis / "w600k_r50.onnx"),
        "swapper": build_swapper(models_dir / swapper_name),
    }


# ---- test images the tiny detector finds a face in -----------------------------------------


def face_image(
    seed: int,
    size: tuple[int, int] = (480, 640),
    centre: tuple[float, float] = (320, 240),
    axes: tuple[float, float] = (70, 90),
) -> np.ndarray:
    """A BGR image (height, width = ``size``): dark noise, and a bright textured ellipse (the
    face) at ``centre`` with semi-axes ``axes``; ``seed`` picks the textures."""
    rng = np.random.default_rng(seed)
    h, w = size
    image = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
    coarse = rng.integers(170, 250, (6, 6, 3), dtype=np.uint8)
    texture = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    texture = np.clip(texture.astype(np.int16) + rng.integers(-8, 8, (h, w, 3)), 165, 255)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        mask, (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1])), 0, 0, 360, 255, -1
    )
    image[mask > 0] = texture.astype(np.uint8)[mask > 0]
    return image


def expected_box(
    centre: tuple[float, float] = (320, 240), axes: tuple[float, float] = (70, 90)
) -> np.ndarray:
    """Where the tiny detector puts the face of ``face_image`` (a filled ellipse's spread on
    an axis is half its semi-axis, and the box is two spreads either side of the centre)."""
    cx, cy = centre
    ax, ay = axes
    return np.array([cx - ax, cy - ay, cx + ax, cy + ay], np.float32)
