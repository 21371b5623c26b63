"""The hyperswap engine on tiny stand-in models (tests/face/onnx_hyperswap.py: the real
hyperswap_1a_256's inputs and outputs; tests/face/onnx_models.py: buffalo_l's detector and
recognizer): missing, corrupt and foreign files, providers, the swapper's interface read from
the file, and what a render changes (only under the face mask, bounded by the model's own mask)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from ar_backend.config import FaceConfig, FaceOptions, HyperswapConfig
from ar_backend.face.engines import create_engine, engine_types
from ar_backend.face.engines import hyperswap as hyperswap_module
from ar_backend.face.engines.hyperswap import (
    MASK_GROW,
    HyperswapEngine,
    alignment,
    from_output,
    to_blob,
)
from ar_backend.face.errors import EngineUnavailable
from ar_backend.face.faces import SourceFace, detect_faces, picture_faces
from ar_backend.face.people import faceset
from tests.face.onnx_hyperswap import SIZE, build_hyperswap_models, face_mask
from tests.face.onnx_models import build_recognizer, face_image

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # skimage, inside insightface

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"

FRAME_FACE = {"centre": (320, 240), "axes": (70, 90)}
SOURCE_FACE = {"size": (400, 400), "centre": (200, 200), "axes": (80, 100)}


def face_cfg(models_dir: Path, manifest: Path | None = None, **hyperswap: Any) -> FaceConfig:
    return FaceConfig(
        engine="hyperswap",
        models_dir=str(models_dir),
        # the stand-in models are not the manifest's files: check none unless a test writes one
        models_manifest=str(manifest or models_dir / "no-manifest.yaml"),
        hyperswap=HyperswapConfig(**hyperswap),
    )


def write_manifest(path: Path, models: dict[str, list[Path]], root: Path, wrong: Path) -> Path:
    """A manifest listing ``models`` {name: files}, with the SHA-256 of ``wrong`` not its own."""

    def entry(file: Path) -> dict[str, Any]:
        data = file.read_bytes() if file.is_file() else b"absent"
        return {
            "path": file.relative_to(root).as_posix(),
            "size": len(data),
            "sha256": hashlib.sha256(data + (b"!" if file == wrong else b"")).hexdigest(),
            "hash_source": "computed by the test",
        }

    body = {
        name: {
            "description": f"test model {name}",
            "licence": "test only",
            "used_by": ["tests"],
            "files": [entry(f) for f in files],
        }
        for name, files in models.items()
    }
    path.write_text(yaml.safe_dump({"models": body}))
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    build_hyperswap_models(root)
    return root


@pytest.fixture(scope="module")
def engine(models: Path) -> Any:
    made = create_engine("hyperswap", face_cfg(models))
    assert isinstance(made, HyperswapEngine)
    yield made
    made.close()


def make_engine(root: Path, **swapper: Any) -> HyperswapEngine:
    """An engine on the tiny detector and recognizer and a swapper built with ``swapper``."""
    build_hyperswap_models(root, **swapper)
    made = create_engine("hyperswap", face_cfg(root))
    assert isinstance(made, HyperswapEngine)
    return made


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    return face_image(1, **FRAME_FACE)


def source_of(engine: HyperswapEngine, seed: int) -> SourceFace:
    image = face_image(seed, **SOURCE_FACE)
    found = picture_faces(engine, image)
    assert len(found) == 1
    return engine.prepare_source(image, found[0])


def swapped(engine: HyperswapEngine, frame: np.ndarray, seed: int = 2, **options: Any) -> Any:
    """(the rendered frame, the face) for the source drawn with ``seed``."""
    opts = FaceOptions(**{"blend": "feather", **options})
    faces = detect_faces(engine, frame, opts)
    assert len(faces) == 1
    return engine.render(frame.copy(), faces, source_of(engine, seed), opts), faces[0]


def in_frame(picture: np.ndarray, points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A crop-space picture (0..1) warped into the frame as the engine pastes it."""
    matrix = alignment(points, picture.shape[0])
    assert matrix is not None
    inverse = cv2.invertAffineTransform(matrix)
    return cv2.warpAffine(picture.astype(np.float32), inverse, (shape[1], shape[0]))


def changed(out: np.ndarray, frame: np.ndarray) -> np.ndarray:
    return np.abs(out.astype(np.int16) - frame).max(axis=2)


# ---- model files -----------------------------------------------------------------------------


def test_missing_models_are_each_named(tmp_path: Path) -> None:
    cfg = face_cfg(tmp_path / "models")
    with pytest.raises(EngineUnavailable) as caught:
        create_engine("hyperswap", cfg)
    message = str(caught.value)
    root = (tmp_path / "models").resolve()
    for path in (
        root / "hyperswap_1a_256.onnx",
        root / "buffalo_l" / "det_10g.onnx",
        root / "buffalo_l" / "w600k_r50.onnx",
    ):
        assert str(path) in message
    assert f"(put them in {root})" in message  # no manifest here: where they go
    assert "nothing is downloaded" not in message
    assert engine_types()["hyperswap"].check(cfg) in message


def test_a_missing_file_the_manifest_lists_names_the_fetch_command(tmp_path: Path) -> None:
    root = tmp_path / "models"
    paths = build_hyperswap_models(root)
    paths["swapper"].unlink()
    manifest = write_manifest(
        tmp_path / "models.yaml",
        {
            "hyperswap_1a_256": [paths["swapper"]],
            "buffalo_l": [paths["detector"], paths["recognizer"]],
        },
        root,
        wrong=tmp_path / "none",
    )
    reason = engine_types()["hyperswap"].check(face_cfg(root, manifest))
    assert reason is not None
    assert str(paths["swapper"].resolve()) in reason and "det_10g" not in reason
    assert "python -m ar_backend.weights fetch hyperswap_1a_256" in reason


def test_every_files_problem_is_named_missing_and_corrupt_alike(tmp_path: Path) -> None:
    """One file missing and another corrupt: the reason names both (issue 25 item 11)."""
    root = tmp_path / "models"
    paths = build_hyperswap_models(root)
    listed = {
        "hyperswap_1a_256": [paths["swapper"]],
        "buffalo_l": [paths["detector"], paths["recognizer"]],
    }
    manifest = write_manifest(tmp_path / "m.yaml", listed, root, wrong=paths["swapper"])
    paths["detector"].unlink()
    reason = engine_types()["hyperswap"].check(face_cfg(root, manifest))
    assert reason is not None
    assert f"missing model files: {paths['detector'].resolve()}" in reason
    assert f"{paths['swapper'].resolve()} is corrupt" in reason
    assert "fetch buffalo_l" in reason and "fetch hyperswap_1a_256" in reason


def test_a_corrupt_file_is_named_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    paths = build_hyperswap_models(root)
    listed = {
        "hyperswap_1a_256": [paths["swapper"]],
        "buffalo_l": [paths["detector"], paths["recognizer"]],
    }
    opened: list[Path] = []
    real = hyperswap_module.onnx_session
    monkeypatch.setattr(
        hyperswap_module, "onnx_session", lambda path, *a: opened.append(path) or real(path, *a)
    )
    bad = write_manifest(tmp_path / "bad.yaml", listed, root, wrong=paths["swapper"])
    reason = engine_types()["hyperswap"].check(face_cfg(root, bad))
    assert reason is not None and "corrupt" in reason
    assert str(paths["swapper"]) in reason
    assert "python -m ar_backend.weights fetch hyperswap_1a_256" in reason
    with pytest.raises(EngineUnavailable, match="corrupt"):
        create_engine("hyperswap", face_cfg(root, bad))
    assert opened == []
    bad = write_manifest(tmp_path / "bad2.yaml", listed, root, wrong=paths["recognizer"])
    reason = engine_types()["hyperswap"].check(face_cfg(root, bad))
    assert reason is not None and "python -m ar_backend.weights fetch buffalo_l" in reason
    good = write_manifest(tmp_path / "good.yaml", listed, root, wrong=tmp_path / "none")
    assert engine_types()["hyperswap"].check(face_cfg(root, good)) is None
    create_engine("hyperswap", face_cfg(root, good)).close()
    assert opened == [paths["swapper"]]


def test_a_file_without_hyperswaps_interface_is_refused(tmp_path: Path) -> None:
    build_hyperswap_models(tmp_path)
    build_recognizer(tmp_path / "hyperswap_1a_256.onnx")  # input.1 [1,3,112,112] -> [1,512]
    with pytest.raises(EngineUnavailable) as caught:
        create_engine("hyperswap", face_cfg(tmp_path))
    message = str(caught.value)
    assert "is not a HyperSwap model" in message and "input.1" in message
    (tmp_path / "hyperswap_1a_256.onnx").write_bytes(b"not an onnx file")
    with pytest.raises(EngineUnavailable, match="could not be loaded"):
        create_engine("hyperswap", face_cfg(tmp_path))


@pytest.mark.slow  # a fresh interpreter
def test_importing_the_engine_loads_no_runtime() -> None:
    code = (
        "import sys, ar_backend.face.engines.hyperswap; "
        "print(sorted(m for m in ('insightface', 'onnxruntime') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---- the swapper's interface and providers ---------------------------------------------------


def test_info_shows_the_provider_actually_active_and_the_swappers_interface(
    engine: HyperswapEngine,
) -> None:
    info = engine.info().model_dump()
    assert info["provider"] == CPU
    assert set(info["providers"]) == {"swapper", "detector", "recognizer"}
    assert all(active[0] == CPU for active in info["providers"].values())
    assert info["requested"] == ["auto"] and info["gpu_warning"] is None
    assert info["models"]["swapper"].endswith("hyperswap_1a_256.onnx")
    assert info["models"]["recognizer"].endswith("buffalo_l/w600k_r50.onnx")
    assert info["swapper_io"] == {
        "size": SIZE,
        "inputs": ["source", "target"],
        "mask_output": True,
    }


def test_a_requested_gpu_missing_here_shows_in_info(models: Path) -> None:
    made = create_engine("hyperswap", face_cfg(models, providers=[CUDA]))
    try:
        info = made.info().model_dump()
        assert info["provider"] == CPU  # the fallback, visibly
        assert info["unavailable_requested"] == [CUDA]
        assert "running on CPUExecutionProvider" in info["gpu_warning"]
        assert "onnxruntime-gpu" in info["gpu_warning"]
    finally:
        made.close()


def test_the_crop_size_is_read_from_the_file(tmp_path: Path, frame: np.ndarray) -> None:
    made = make_engine(tmp_path, size=128)
    try:
        assert made.io.size == 128 and made.info().model_dump()["swapper_io"]["size"] == 128
        out, face = swapped(made, frame)
        assert changed(out, frame)[face_box(face, frame.shape)].mean() > 5
    finally:
        made.close()


def test_normalisation_round_trips() -> None:
    """The crop goes in as RGB -1..1 and comes back as the same BGR pixels."""
    crop = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    blob = to_blob(crop, np.float32)
    assert blob.shape == (1, 3, SIZE, SIZE) and blob.dtype == np.float32
    assert blob.min() >= -1 and blob.max() <= 1
    np.testing.assert_allclose(blob[0, 0], crop[:, :, 2] / 127.5 - 1, atol=1e-6)  # red first
    assert np.array_equal(from_output(blob[0]), crop)
    assert from_output(np.full((3, 4, 4), 3.0, np.float32)).max() == 255  # clipped


def test_alignment_puts_the_keypoints_on_the_arcface_128_template() -> None:
    points = np.array([[100, 120], [160, 118], [131, 150], [108, 185], [155, 184]], np.float32)
    matrix = alignment(points, 256)
    assert matrix is not None
    placed = points @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(placed, hyperswap_module.ARCFACE_128 * 256, atol=6)


# ---- finding faces and telling people apart (shared with inswapper) ------------------------


def test_detects_the_face_and_describes_people(engine: HyperswapEngine, frame: np.ndarray) -> None:
    faces = detect_faces(engine, frame, FaceOptions())
    assert len(faces) == 1 and faces[0].points.shape == (5, 2)
    again = engine.refit(frame, faces[0])
    assert again is not None
    a = engine.describe(frame, faces[0])
    assert a.shape == (512,) and abs(float(np.linalg.norm(a)) - 1) < 1e-6
    other = face_image(9, **FRAME_FACE)
    b = engine.describe(other, detect_faces(engine, other, FaceOptions())[0])
    assert engine.identity_distance(a, a) < 1e-6
    assert engine.identity_distance(a, b) > engine.identity_distance(a, a)


# ---- rendering --------------------------------------------------------------------------------


def face_box(face: Any, shape: tuple[int, ...], shrink: float = 0.25) -> np.ndarray:
    x1, y1, x2, y2 = face.box
    w, h = x2 - x1, y2 - y1
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    return (
        (xs > x1 + shrink * w)
        & (xs < x2 - shrink * w)
        & (ys > y1 + shrink * h)
        & (ys < y2 - shrink * h)
    )


@pytest.mark.parametrize("blend", ["feather", "seamless"])
def test_render_changes_pixels_only_inside_the_face_mask(
    engine: HyperswapEngine, frame: np.ndarray, blend: str
) -> None:
    out, face = swapped(engine, frame, blend=blend)
    assert out.shape == frame.shape and out.dtype == np.uint8
    diff = changed(out, frame)
    assert diff[face_box(face, frame.shape)].mean() > 5
    # the model's mask, in the frame: nothing changed where it is 0 (1 px of interpolation)
    mask = in_frame(face_mask(SIZE), face.points, frame.shape)
    near = cv2.dilate((mask > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert np.array_equal(out[~near], frame[~near])
    assert np.count_nonzero(diff[~near]) == 0


def test_different_sources_give_different_faces(engine: HyperswapEngine, frame: np.ndarray) -> None:
    first, face = swapped(engine, frame, seed=2)
    second, _ = swapped(engine, frame, seed=3)
    region = face_box(face, frame.shape)
    assert np.abs(first.astype(np.int16) - second)[region].mean() > 2


def test_the_models_mask_bounds_the_paste(tmp_path: Path, frame: np.ndarray) -> None:
    """A mask of 0 leaves the frame as it was; one that is 0 on the crop's right half leaves
    the face's right half (the face is upright; past the region's growth) and swaps its left
    half."""
    nothing = make_engine(tmp_path / "zero", mask=np.zeros((SIZE, SIZE), np.float32))
    try:
        out, _ = swapped(nothing, frame)
        assert np.array_equal(out, frame)
    finally:
        nothing.close()
    half = np.ones((SIZE, SIZE), np.float32)
    half[:, SIZE // 2 :] = 0
    halved = make_engine(tmp_path / "half", mask=half)
    try:
        out, face = swapped(halved, frame)
        diff = changed(out, frame)
        region = face_box(face, frame.shape)
        far = np.zeros((SIZE, SIZE), np.float32)
        far[:, SIZE // 2 + round(SIZE * MASK_GROW) + 2 :] = 1  # past the grown region
        right = in_frame(far, face.points, frame.shape) > 0.999
        left = in_frame(half, face.points, frame.shape) > 0.999
        assert diff[region & left].mean() > 5
        assert np.count_nonzero(diff[right]) == 0
    finally:
        halved.close()


def test_a_soft_mask_does_not_weaken_the_swap(tmp_path: Path, frame: np.ndarray) -> None:
    """The model's output already has its mask blended in (FaceFusion pastes it without the
    mask): a mask of 0.4 everywhere pastes exactly as a mask of 1 does, at full strength."""
    outs = []
    for name, value in (("soft", 0.4), ("hard", 1.0)):
        made = make_engine(tmp_path / name, mask=np.full((SIZE, SIZE), value, np.float32))
        try:
            outs.append(swapped(made, frame)[0])
        finally:
            made.close()
    assert np.array_equal(outs[0], outs[1])
    assert changed(outs[0], frame).mean() > 1


def test_a_file_with_no_mask_output_swaps_under_the_paste_mask(
    tmp_path: Path, frame: np.ndarray
) -> None:
    made = make_engine(tmp_path, mask=None)
    try:
        io = made.info().swapper_io
        assert made.io.mask is None and io is not None and io.mask_output is False
        out, face = swapped(made, frame)
        diff = changed(out, frame)
        assert diff[face_box(face, frame.shape)].mean() > 5
        # the crop's corners (outside the face ellipse) change too: no model mask holds them
        corners = in_frame(1 - face_mask(SIZE), face.points, frame.shape) > 0.999
        square = in_frame(np.ones((SIZE, SIZE)), face.points, frame.shape) > 0.999
        assert np.count_nonzero(diff[corners & square & face_box(face, frame.shape, 0.0)]) > 0
    finally:
        made.close()


def test_mouth_mask_keeps_the_targets_mouth(engine: HyperswapEngine, frame: np.ndarray) -> None:
    plain, face = swapped(engine, frame)
    kept, _ = swapped(engine, frame, mouth_mask=True)
    left, right = face.points[3], face.points[4]
    cx, cy = np.round((left + right) / 2).astype(int)
    mouth = (slice(cy - 2, cy + 3), slice(cx - 4, cx + 5))
    assert np.abs(kept[mouth].astype(np.int16) - frame[mouth]).max() <= 1
    assert np.abs(plain[mouth].astype(np.int16) - frame[mouth]).mean() > 5
    eyes = np.round(face.points[0]).astype(int)
    eye = (slice(eyes[1] - 2, eyes[1] + 3), slice(eyes[0] - 2, eyes[0] + 3))
    assert np.array_equal(kept[eye], plain[eye])


def test_faces_without_keypoints_are_left_alone(engine: HyperswapEngine, frame: np.ndarray) -> None:
    face = detect_faces(engine, frame, FaceOptions())[0]
    face.points = np.zeros((68, 2), np.float32)  # another engine's landmarks
    out = engine.render(frame.copy(), [face], source_of(engine, 2), FaceOptions())
    assert np.array_equal(out, frame)


def test_the_swapper_gets_the_unit_embedding_and_a_set_their_mean(
    engine: HyperswapEngine, frame: np.ndarray
) -> None:
    a, b = source_of(engine, 2), source_of(engine, 3)
    unit = a.data["face"].normed_embedding
    np.testing.assert_allclose(engine._identity(a), unit.reshape(1, -1), atol=1e-6)
    both = faceset.build([a, b])
    mean = unit + b.data["face"].normed_embedding
    np.testing.assert_allclose(
        engine._identity(both), (mean / np.linalg.norm(mean)).reshape(1, -1), atol=1e-6
    )
    # and the set renders between its two photos
    options = FaceOptions(blend="feather")
    faces = detect_faces(engine, frame, options)
    region = face_box(faces[0], frame.shape)

    def render(source: SourceFace) -> np.ndarray:
        return engine.render(frame.copy(), faces, source, options)[region].astype(np.float64)

    only_a, only_b, mixed = render(a), render(b), render(both)
    apart = np.abs(only_a - only_b).mean()
    assert apart > 2
    assert np.abs(mixed - only_a).mean() > 0.1 * apart
    assert np.abs(mixed - only_b).mean() > 0.1 * apart
