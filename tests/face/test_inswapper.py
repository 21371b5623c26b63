"""The inswapper engine on tiny stand-in models (tests/face/onnx_models.py): missing files,
execution providers, detection and tracking, sources, and what a render changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ar_backend.config import FaceConfig, FaceOptions, GpuConfig, InswapperConfig
from ar_backend.face.detect import scrfd
from ar_backend.face.engines import create_engine, engine_types
from ar_backend.face.engines.inswapper import InswapperEngine, model_paths
from ar_backend.face.errors import EngineUnavailable, SourceTooSmall
from ar_backend.face.faces import detect_faces, picture_faces
from ar_backend.face.runtime.onnx_providers import provider_options, select_providers
from tests.face.onnx_models import (
    build_detector,
    build_models,
    build_recognizer,
    build_swapper,
    expected_box,
    face_image,
)

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # skimage, inside insightface

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"

FRAME_FACE = {"centre": (320, 240), "axes": (70, 90)}
SOURCE_FACE = {"size": (400, 400), "centre": (200, 200), "axes": (80, 100)}


def face_cfg(models_dir: Path, **inswapper: object) -> FaceConfig:
    return FaceConfig(
        engine="inswapper",
        models_dir=str(models_dir),
        # the stand-in models are not the manifest's files: check none (tests/weights does)
        models_manifest=str(models_dir / "no-manifest.yaml"),
        inswapper=InswapperConfig(**inswapper),
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    build_models(root)
    return root


@pytest.fixture(scope="module")
def engine(models: Path) -> InswapperEngine:
    made = create_engine("inswapper", face_cfg(models))
    assert isinstance(made, InswapperEngine)
    yield made
    made.close()


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return face_image(1, **FRAME_FACE)


def source_of(engine: InswapperEngine, seed: int):  # type: ignore[no-untyped-def]
    image = face_image(seed, **SOURCE_FACE)
    found = picture_faces(engine, image)
    assert len(found) == 1
    return engine.prepare_source(image, found[0])


def outside(box: np.ndarray, shape: tuple[int, ...], grow: float) -> np.ndarray:
    """True for the pixels outside ``box`` grown by ``grow`` times its size on each side."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    return (xs < x1 - grow * w) | (xs > x2 + grow * w) | (ys < y1 - grow * h) | (ys > y2 + grow * h)


def inside(box: np.ndarray, shape: tuple[int, ...], shrink: float = 0.2) -> np.ndarray:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    return (
        (xs > x1 + shrink * w)
        & (xs < x2 - shrink * w)
        & (ys > y1 + shrink * h)
        & (ys < y2 - shrink * h)
    )


# ---- model files -----------------------------------------------------------------------------


def test_missing_models_are_each_named(tmp_path: Path) -> None:
    cfg = face_cfg(tmp_path / "models")
    with pytest.raises(EngineUnavailable) as caught:
        create_engine("inswapper", cfg)
    message = str(caught.value)
    root = (tmp_path / "models").resolve()
    for path in (
        root / "inswapper_128.onnx",
        root / "buffalo_l" / "det_10g.onnx",
        root / "buffalo_l" / "w600k_r50.onnx",
    ):
        assert str(path) in message
    # where they go (no manifest here), never "nothing is downloaded" beside Download…
    assert f"(put them in {root})" in message
    assert "nothing is downloaded" not in message
    # (the app answers EngineUnavailable 503 naming the field engine: tests/backend)
    # the engine list says the same without trying to load anything
    assert engine_types()["inswapper"].check(cfg) in message


def test_only_the_missing_file_is_named(tmp_path: Path) -> None:
    build_detector(tmp_path / "buffalo_l" / "det_10g.onnx")
    build_swapper(tmp_path / "inswapper_128.onnx")
    reason = engine_types()["inswapper"].check(face_cfg(tmp_path))
    assert reason is not None
    assert str(tmp_path.resolve() / "buffalo_l" / "w600k_r50.onnx") in reason
    assert "det_10g" not in reason and "inswapper_128" not in reason


def test_fp16_swapper_stands_in_for_the_missing_fp32_one(tmp_path: Path) -> None:
    build_detector(tmp_path / "buffalo_l" / "det_10g.onnx")
    build_recognizer(tmp_path / "buffalo_l" / "w600k_r50.onnx")
    build_swapper(tmp_path / "inswapper_128_fp16.onnx")
    cfg = face_cfg(tmp_path)
    assert model_paths(cfg)["swapper"].name == "inswapper_128_fp16.onnx"
    assert engine_types()["inswapper"].check(cfg) is None
    made = create_engine("inswapper", cfg)
    try:
        assert made.info().model_dump()["models"]["swapper"].endswith("inswapper_128_fp16.onnx")
    finally:
        made.close()


@pytest.mark.slow  # a fresh interpreter
def test_importing_the_engine_loads_no_runtime() -> None:
    code = (
        "import sys, ar_backend.face.engines.inswapper; "
        "print(sorted(m for m in ('insightface', 'onnxruntime') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---- execution providers -------------------------------------------------------------------


def test_auto_prefers_the_gpu_and_keeps_the_cpu_last() -> None:
    choice = select_providers(["auto"], [CPU, CUDA])
    assert choice.providers == [CUDA, CPU]
    assert choice.unavailable == []
    assert select_providers(["auto"], [TRT, CUDA, CPU]).providers == [TRT, CUDA, CPU]
    assert select_providers(["auto"], ["AzureExecutionProvider", CPU]).providers == [CPU]


def test_an_unavailable_provider_is_reported_not_dropped() -> None:
    choice = select_providers([CUDA, CPU], [CPU])
    assert choice.providers == [CPU]
    assert choice.unavailable == [CUDA]
    assert choice.requested == [CUDA, CPU]
    # short names work too
    assert select_providers(["cuda"], [CUDA, CPU]).providers == [CUDA, CPU]
    assert select_providers(["dml"], [CPU]).unavailable == ["DmlExecutionProvider"]


def test_gpu_settings_become_each_providers_options(tmp_path: Path) -> None:
    gpu = GpuConfig(
        device_id=1,
        memory_limit_mb=2048,
        cudnn_conv_algo_search="EXHAUSTIVE",
        tensorrt_cache_dir=str(tmp_path / "engines"),
        tensorrt_fp16=False,
    )
    trt, cuda, cpu = provider_options([TRT, CUDA, CPU], gpu, tmp_path / "models")
    assert cuda == {
        "device_id": "1",
        "gpu_mem_limit": str(2048 * 1024 * 1024),
        "cudnn_conv_algo_search": "EXHAUSTIVE",
        "arena_extend_strategy": "kSameAsRequested",
    }
    assert trt["device_id"] == "1"
    assert trt["trt_engine_cache_path"] == str(tmp_path / "engines" / "trt_cache")
    assert trt["trt_fp16_enable"] == "False"
    assert cpu == {}
    # no limit set: onnxruntime's own default (no gpu_mem_limit key), the cache beside models;
    # no fp16 unless asked for (FaceFusion's TensorRT options have none: fp16 GAN decoders
    # give black faces)
    trt, cuda = provider_options([TRT, CUDA], GpuConfig(), tmp_path / "models")
    assert trt["trt_fp16_enable"] == "False"
    assert "gpu_mem_limit" not in cuda
    assert trt["trt_engine_cache_path"] == str(tmp_path / "models" / "trt_cache")


def test_info_shows_the_provider_actually_active(engine: InswapperEngine) -> None:
    info = engine.info().model_dump()
    assert info["provider"] == CPU
    assert set(info["providers"]) == {"swapper", "detector", "recognizer"}
    assert all(active[0] == CPU for active in info["providers"].values())
    assert info["requested"] == ["auto"]
    assert info["unavailable_requested"] == []
    assert info["gpu_warning"] is None  # auto on a machine with no GPU asks for none
    assert info["models"]["detector"].endswith("buffalo_l/det_10g.onnx")


def test_a_requested_gpu_missing_here_shows_in_info(models: Path) -> None:
    made = create_engine("inswapper", face_cfg(models, providers=[TRT, CUDA]))
    try:
        info = made.info().model_dump()
        assert info["provider"] == CPU  # the fallback, visibly
        assert info["unavailable_requested"] == [TRT, CUDA]
        assert "running on CPUExecutionProvider" in info["gpu_warning"]
        assert "onnxruntime-gpu" in info["gpu_warning"]
    finally:
        made.close()


# ---- finding and following faces -----------------------------------------------------------


def test_detect_input_size_keeps_the_aspect() -> None:
    assert scrfd.input_size((720, 1280, 3), 640) == (640, 384)
    assert scrfd.input_size((480, 640, 3), 1280) == (640, 480)


def test_detect_finds_the_face(engine: InswapperEngine, frame: np.ndarray) -> None:
    faces = detect_faces(engine, frame, FaceOptions())
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.5
    assert face.points.shape == (5, 2)
    np.testing.assert_allclose(face.box, expected_box(**FRAME_FACE), atol=3)
    x1, y1, x2, y2 = face.box
    assert np.all((face.points[:, 0] > x1) & (face.points[:, 0] < x2))
    assert np.all((face.points[:, 1] > y1) & (face.points[:, 1] < y2))
    assert detect_faces(engine, np.full_like(frame, 20), FaceOptions()) == []


def test_refit_follows_a_moving_face(engine: InswapperEngine, frame: np.ndarray) -> None:
    face = detect_faces(engine, frame, FaceOptions())[0]
    face.track_id = 7
    moved = {"centre": (335, 250), "axes": (70, 90)}
    again = engine.refit(face_image(1, **moved), face)
    assert again is not None
    assert again.track_id == 7
    np.testing.assert_allclose(again.box, expected_box(**moved), atol=3)
    np.testing.assert_allclose(again.points, face.points + np.array([15, 10]), atol=3)
    assert engine.refit(np.full_like(frame, 20), face) is None


def test_a_dynamic_detector_runs_at_the_detect_size(tmp_path: Path, frame: np.ndarray) -> None:
    # the real det_10g.onnx takes any input size: detection runs at detect_size
    build_models(tmp_path, dynamic_detector=True)
    made = create_engine("inswapper", face_cfg(tmp_path))
    try:
        faces = detect_faces(made, frame, FaceOptions(detect_size=320))
        assert len(faces) == 1
        np.testing.assert_allclose(faces[0].box, expected_box(**FRAME_FACE), atol=4)
        again = made.refit(frame, faces[0])
        assert again is not None
        np.testing.assert_allclose(again.box, faces[0].box, atol=4)
        assert len(picture_faces(made, face_image(2, **SOURCE_FACE))) == 1
        sizes = made.detector.model.resolution_session_input_sizes  # (width, height) sessions
        assert set(sizes) == {(320, 256), (320, 320), (640, 640)}
    finally:
        made.close()


# ---- sources ----------------------------------------------------------------------------------


def test_prepare_source_reads_an_identity(engine: InswapperEngine) -> None:
    source = source_of(engine, 2)
    assert source.engine == "inswapper"
    embedding = source.data["face"].embedding
    assert embedding.shape == (512,) and np.all(np.isfinite(embedding))
    assert source.points.shape == (5, 2)
    h, w = source.image.shape[:2]
    assert np.all((source.points >= 0) & (source.points < (w, h)))
    other = source_of(engine, 3).data["face"].embedding
    assert not np.allclose(embedding, other)


def test_a_small_source_face_is_refused(engine: InswapperEngine) -> None:
    image = face_image(4, size=(300, 300), centre=(150, 150), axes=(15, 20))
    found = picture_faces(engine, image)
    assert len(found) == 1
    with pytest.raises(SourceTooSmall) as caught:
        engine.prepare_source(image, found[0])
    message = str(caught.value)
    assert "35 px" in message and "48 px" in message


# ---- rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize("blend", ["feather", "seamless"])
def test_render_changes_the_face_and_nothing_far_from_it(
    engine: InswapperEngine, frame: np.ndarray, blend: str
) -> None:
    options = FaceOptions(blend=blend)
    faces = detect_faces(engine, frame, options)
    source = source_of(engine, 2)
    out = engine.render(frame.copy(), faces, source, options)
    assert out.shape == frame.shape and out.dtype == np.uint8
    box = faces[0].box
    diff = np.abs(out.astype(np.int16) - frame).max(axis=2)
    assert diff[inside(box, frame.shape)].mean() > 5
    far = outside(box, frame.shape, grow=0.5)
    assert np.array_equal(out[far], frame[far])
    # every changed pixel is near the face
    ys, xs = np.nonzero(diff)
    assert np.all(~outside(box, frame.shape, grow=0.5)[ys, xs])


def test_different_sources_give_different_faces(engine: InswapperEngine, frame: np.ndarray) -> None:
    options = FaceOptions(blend="feather")
    faces = detect_faces(engine, frame, options)
    first = engine.render(frame.copy(), faces, source_of(engine, 2), options)
    second = engine.render(frame.copy(), faces, source_of(engine, 3), options)
    region = inside(faces[0].box, frame.shape)
    assert np.abs(first.astype(np.int16) - second)[region].mean() > 2


def test_mouth_mask_keeps_the_targets_mouth(engine: InswapperEngine, frame: np.ndarray) -> None:
    faces = detect_faces(engine, frame, FaceOptions())
    source = source_of(engine, 2)
    swapped = engine.render(frame.copy(), faces, source, FaceOptions(blend="feather"))
    kept = engine.render(frame.copy(), faces, source, FaceOptions(blend="feather", mouth_mask=True))
    left, right = faces[0].points[3], faces[0].points[4]
    cx, cy = np.round((left + right) / 2).astype(int)
    mouth = (slice(cy - 2, cy + 3), slice(cx - 4, cx + 5))
    assert np.abs(kept[mouth].astype(np.int16) - frame[mouth]).max() <= 1
    assert np.abs(swapped[mouth].astype(np.int16) - frame[mouth]).mean() > 5
    eyes = np.round(faces[0].points[0]).astype(int)
    eye = (slice(eyes[1] - 2, eyes[1] + 3), slice(eyes[0] - 2, eyes[0] + 3))
    assert np.array_equal(kept[eye], swapped[eye])


def test_faces_without_keypoints_are_left_alone(engine: InswapperEngine, frame: np.ndarray) -> None:
    face = detect_faces(engine, frame, FaceOptions())[0]
    face.points = np.zeros((68, 2), np.float32)  # another engine's landmarks
    out = engine.render(frame.copy(), [face], source_of(engine, 2), FaceOptions())
    assert np.array_equal(out, frame)


def test_a_face_set_swaps_with_the_mean_identity(
    engine: InswapperEngine, frame: np.ndarray
) -> None:
    """A face set of two photos: inswapper renders neither photo's identity alone but their
    mean (the output differs from each single photo's, and lies between them)."""
    from ar_backend.face.people import faceset

    options = FaceOptions(blend="feather")
    faces = detect_faces(engine, frame, options)
    a, b = source_of(engine, 2), source_of(engine, 3)
    region = inside(faces[0].box, frame.shape)

    def render(source) -> np.ndarray:  # type: ignore[no-untyped-def]
        return engine.render(frame.copy(), faces, source, options)[region].astype(np.float64)

    only_a, only_b, both = render(a), render(b), render(faceset.build([a, b]))
    apart = np.abs(only_a - only_b).mean()
    assert apart > 2
    assert np.abs(both - only_a).mean() > 0.1 * apart
    assert np.abs(both - only_b).mean() > 0.1 * apart
    assert np.abs(both - (only_a + only_b) / 2).mean() < 0.6 * apart


@pytest.mark.parametrize("side", [40, 64, 96])
def test_the_paste_mask_keeps_insightfaces_minimum_erosion_and_feather(side: int) -> None:
    """A small face's crop (under 100 px in the frame) is pasted under insightface's mask:
    eroded by at least 10 px, feathered by a kernel of at least 11; its edge band stays the
    frame's and the paste reaches full strength only inside it."""
    from ar_backend.face.engines.insight_analysis import paste_crop

    frame = np.zeros((200, 200, 3), np.uint8)
    fake = np.full((128, 128, 3), 255, np.uint8)
    scale = 128 / side  # the frame's side x side square at (50, 50) -> the 128 px crop
    matrix = np.array([[scale, 0, -50 * scale], [0, scale, -50 * scale]], np.float64)
    points = np.array([[60, 60], [80, 60], [70, 70], [62, 80], [78, 80]], np.float32)
    paste_crop(frame, fake, matrix, points, FaceOptions(blend="feather"))
    row = frame[50 + side // 2, 50 : 50 + side, 0].astype(int)
    for edge in (row, row[::-1]):  # from the left edge in, and from the right edge in
        assert edge[0] < 20 and edge[2] < 60, "the crop's edge stays (nearly) the frame's"
        full = int(np.argmax(edge >= 250))
        assert full >= 8, "a ramp of 8 px and more: eroded, then feathered, not a hard edge"
        assert edge[full : side // 2].min() >= 250, "full strength inside the ramp"
