"""The face enhancer on tiny stand-in restorers (tests/face/onnx_enhancers.py): where it puts
the restored face (aligned on the five keypoints, pasted back on them), what it changes (only
the pixels under the face's mask, more with a higher strength), dlib's 68 points, missing
and corrupt model files, the providers it reports; and, live in the studio, a failure while
it runs (the frame still goes out swapped)."""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from ar_backend.config import EnhancerConfig, FaceConfig
from ar_backend.face.enhancers import (
    EnhancerUnavailable,
    create_enhancer,
    enhancer_types,
    onnx_restorer,
    unavailable_reason,
)
from ar_backend.face.enhancers.align import TEMPLATES
from ar_backend.face.enhancers.base import Enhancer
from ar_backend.face.enhancers.keypoints import five_points
from ar_backend.face.faces import TargetFace
from tests.face.onnx_enhancers import build_enhancer, build_not_a_restorer
from tests.face.onnx_models import build_models, face_image
from tests.procs import wait_for

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # skimage, inside insightface

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
FRAME = (640, 720)  # height, width
NAMES = ("gfpgan_1.4", "gpen_bfr_256", "gpen_bfr_512")
MANIFEST = Path(__file__).resolve().parents[2] / "config" / "models.yaml"


def face_cfg(models: Path, manifest: Path | None = None, **enhancer: Any) -> FaceConfig:
    return FaceConfig(
        models_dir=str(models),
        # the stand-ins are not the manifest's files: none is checked unless a test says so
        models_manifest=str(manifest or models / "no-manifest.yaml"),
        enhancer=EnhancerConfig(**enhancer),
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gfpgan_1.4 inverts the crop; gpen_bfr_256 and _512 draw marks on their templates'
    keypoints (arcface_128 and ffhq_512, as facefusion aligns for each)."""
    root = tmp_path_factory.mktemp("enhancers")
    build_enhancer(root / "gfpgan_1.4.onnx", 512, "invert")
    build_enhancer(root / "gpen_bfr_256.onnx", 256, "marks", template="arcface_128")
    build_enhancer(root / "gpen_bfr_512.onnx", 512, "marks", template="ffhq_512")
    return root


@pytest.fixture(scope="module")
def enhancers(models: Path) -> dict[str, Enhancer]:
    made = {name: create_enhancer(name, face_cfg(models)) for name in NAMES}
    yield made
    for enhancer in made.values():
        enhancer.close()


def keypoints(
    template: str = "ffhq_512",
    eye_px: float = 126.0,
    angle_deg: float = 12.0,
    centre: tuple[float, float] = (360.0, 330.0),
) -> np.ndarray:
    """Five keypoints in the frame shaped exactly as ``template``: its eyes ``eye_px``
    apart, turned by ``angle_deg``, the template's middle at ``centre``."""
    t = TEMPLATES[template]
    scale = eye_px / float(np.linalg.norm(t[1] - t[0]))
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return ((t - 0.5) * scale @ rot.T + np.asarray(centre)).astype(np.float32)


def face_of(points: np.ndarray) -> TargetFace:
    lo, hi = points.min(axis=0), points.max(axis=0)
    return TargetFace(box=np.concatenate([lo - 40, hi + 40]).astype(np.float32), points=points)


def dlib_68(five: np.ndarray) -> np.ndarray:
    """68 dlib-style landmarks whose eyes (36-41, 42-47), nose tip (30) and mouth corners
    (48, 54) give ``five``; the rest scattered around (they must not matter)."""
    rng = np.random.default_rng(3)
    points = five.mean(axis=0) + rng.normal(0, 60, (68, 2))
    ring = np.array([[-12, 0], [-6, -4], [6, -4], [12, 0], [6, 4], [-6, 4]], np.float64)
    points[36:42] = five[0] + ring
    points[42:48] = five[1] + ring
    points[30] = five[2]
    points[48] = five[3]
    points[54] = five[4]
    return points.astype(np.float32)


def noise_frame(seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*FRAME, 3), dtype=np.uint8)


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a != b, axis=2)


def crop_square(points: np.ndarray, template: str, size: int, grow: int = 0) -> np.ndarray:
    """The frame's pixels inside the aligned crop's square (grown by ``grow`` px)."""
    target = TEMPLATES[template] * size
    matrix, _ = cv2.estimateAffinePartial2D(points.astype(np.float64), target)
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float64)
    where = corners @ inverse[:, :2].T + inverse[:, 2]
    mask = np.zeros(FRAME, np.uint8)
    cv2.fillConvexPoly(mask, np.round(where).astype(np.int32), 255)
    if grow:
        mask = cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return mask > 0


# ---- where the restored face goes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "template"), [("gpen_bfr_512", "ffhq_512"), ("gpen_bfr_256", "arcface_128")]
)
def test_the_restored_face_lands_on_the_face_keypoints(
    enhancers: dict[str, Enhancer], name: str, template: str
) -> None:
    """The crop is aligned on the five keypoints (each model's own template) and put back
    with the inverse warp: the marks the model draws at the template's keypoints show up at
    the face's keypoints in the frame, and nowhere between them."""
    frame = np.full((*FRAME, 3), 128, np.uint8)
    points = keypoints(template)
    out = enhancers[name].enhance(frame, [face_of(points)], 1.0)
    for x, y in points:
        assert out[round(float(y)), round(float(x))].min() > 200, (name, x, y)
    between_eyes = (points[0] + points[1]) / 2
    assert out[round(float(between_eyes[1])), round(float(between_eyes[0]))].max() < 40
    assert enhancers[name].info()["template"] == template


def test_dlib_68_points_are_aligned_as_their_five(enhancers: dict[str, Enhancer]) -> None:
    points = keypoints("ffhq_512", angle_deg=-8.0)
    assert np.allclose(five_points(dlib_68(points)), points, atol=1e-4)
    frame = np.full((*FRAME, 3), 128, np.uint8)
    enhancer = enhancers["gpen_bfr_512"]
    by_68 = enhancer.enhance(frame, [face_of(dlib_68(points))], 1.0)
    by_5 = enhancer.enhance(frame, [face_of(points)], 1.0)
    assert np.array_equal(by_68, by_5)
    for x, y in points:
        assert by_68[round(float(y)), round(float(x))].min() > 200


def test_landmarks_of_another_kind_leave_the_frame_as_it_was(
    enhancers: dict[str, Enhancer],
) -> None:
    frame = noise_frame()
    odd = TargetFace(box=np.array([100, 100, 300, 300], np.float32), points=np.zeros((3, 2)))
    assert np.array_equal(enhancers["gfpgan_1.4"].enhance(frame, [odd], 1.0), frame)


# ---- what it changes -----------------------------------------------------------------------------


def test_only_pixels_under_the_face_mask_change(enhancers: dict[str, Enhancer]) -> None:
    frame = noise_frame()
    before = frame.copy()
    points = keypoints("ffhq_512")
    out = enhancers["gfpgan_1.4"].enhance(frame, [face_of(points)], 1.0)
    assert np.array_equal(frame, before), "the frame passed in is left as it was"
    moved = changed(out, frame)
    square = crop_square(points, "ffhq_512", 512, grow=2)
    assert moved.any()
    assert not moved[~square].any(), "nothing outside the crop's square changes"
    # the mask is soft: the middle of the face is restored in full, the edge barely
    diff = np.abs(out.astype(int) - frame.astype(int)).mean(axis=2)
    inner = crop_square(points, "ffhq_512", 512).astype(np.uint8)
    core = cv2.erode(inner, np.ones((181, 181), np.uint8)) > 0  # 90 px in from its edge
    rim = (inner > 0) & ~(cv2.erode(inner, np.ones((9, 9), np.uint8)) > 0)
    assert core.any() and rim.any()
    assert diff[core].mean() > 80  # inverted noise: about 85 on average
    assert diff[rim].mean() < 10


def test_strength_blends_the_restored_face_over_the_swapped_one(
    enhancers: dict[str, Enhancer],
) -> None:
    frame = noise_frame(seed=9)
    face = face_of(keypoints("ffhq_512"))
    enhancer = enhancers["gfpgan_1.4"]
    assert np.array_equal(enhancer.enhance(frame, [face], 0.0), frame)
    x0, y0 = (int(v) for v in keypoints("ffhq_512").mean(axis=0) - 30)
    middle = (slice(y0, y0 + 60), slice(x0, x0 + 60))

    def moved(strength: float) -> float:
        out = enhancer.enhance(frame, [face], strength)
        return float(np.abs(out[middle].astype(int) - frame[middle].astype(int)).mean())

    half, full = moved(0.5), moved(1.0)
    assert half > 20
    assert full > 1.8 * half  # the inverted face, blended in twice as far


# ---- the model file ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_model_file_is_named_with_how_to_fetch_it(tmp_path: Path, name: str) -> None:
    cfg = face_cfg(tmp_path, manifest=MANIFEST)
    reason = unavailable_reason(name, cfg)
    assert reason is not None
    assert str(tmp_path.resolve() / f"{name}.onnx") in reason
    assert f"python -m ar_backend.weights fetch {name}" in reason
    with pytest.raises(EnhancerUnavailable) as caught:
        create_enhancer(name, cfg)
    assert reason in str(caught.value) and caught.value.field == "enhancer"
    assert enhancer_types()[name].check(cfg) == reason


def _manifest(tmp_path: Path, file: Path, size: int, sha256: str) -> Path:
    path = tmp_path / "models.yaml"
    entry = {
        "description": "test",
        "licence": "test only",
        "used_by": ["tests"],
        "files": [{"path": file.name, "size": size, "sha256": sha256, "hash_source": "test"}],
    }
    path.write_text(yaml.safe_dump({"models": {"gfpgan_1.4": entry}}))
    return path


@pytest.mark.parametrize("damage", ["hash", "size"])
def test_a_corrupt_model_file_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    file = build_enhancer(tmp_path / "gfpgan_1.4.onnx", 64, "invert")
    size, sha = file.stat().st_size, hashlib.sha256(file.read_bytes()).hexdigest()
    good = face_cfg(tmp_path, manifest=_manifest(tmp_path, file, size, sha))
    assert unavailable_reason("gfpgan_1.4", good) is None  # the listed file itself is fine

    wrong = "0" * 64 if damage == "hash" else sha
    cfg = face_cfg(tmp_path, manifest=_manifest(tmp_path, file, size + (damage == "size"), wrong))

    def opened(*_args: Any, **_kw: Any) -> None:
        raise AssertionError("a corrupt model file was opened")

    monkeypatch.setattr(onnx_restorer, "onnx_session", opened)
    reason = unavailable_reason("gfpgan_1.4", cfg)
    assert reason is not None and "corrupt" in reason and str(file.resolve()) in reason
    assert "python -m ar_backend.weights fetch gfpgan_1.4" in reason
    with pytest.raises(EnhancerUnavailable, match="corrupt"):
        create_enhancer("gfpgan_1.4", cfg)


def test_a_file_that_is_no_restorer_is_refused(tmp_path: Path) -> None:
    build_not_a_restorer(tmp_path / "gpen_bfr_256.onnx")
    with pytest.raises(EnhancerUnavailable, match="not a face restorer"):
        create_enhancer("gpen_bfr_256", face_cfg(tmp_path))


def test_the_crop_size_is_read_from_the_file(tmp_path: Path) -> None:
    """One class serves 256 and 512: the size is the file's, or the model's own when the
    file leaves it open."""
    build_enhancer(tmp_path / "gpen_bfr_512.onnx", 256, "invert")
    build_enhancer(tmp_path / "gpen_bfr_256.onnx", 256, "invert", dynamic=True)
    cfg = face_cfg(tmp_path)
    for name, size in (("gpen_bfr_512", 256), ("gpen_bfr_256", 256)):
        enhancer = create_enhancer(name, cfg)
        try:
            assert enhancer.info()["input"] == {"name": "input", "size": size}
            frame = noise_frame()
            out = enhancer.enhance(frame, [face_of(keypoints())], 1.0)
            assert changed(out, frame).any()
        finally:
            enhancer.close()


# ---- providers -----------------------------------------------------------------------------------


def test_info_names_the_provider_and_warns_when_the_gpu_asked_for_is_not_there(
    models: Path, enhancers: dict[str, Enhancer]
) -> None:
    auto = enhancers["gfpgan_1.4"].info()
    assert auto["provider"] == CPU and auto["gpu_warning"] is None
    assert auto["model"] == str((models / "gfpgan_1.4.onnx").resolve())
    cuda = create_enhancer("gfpgan_1.4", face_cfg(models, providers=["cuda"]))
    try:
        info = cuda.info()
        assert info["provider"] == CPU
        assert info["requested"] == ["cuda"] and info["unavailable_requested"] == [CUDA]
        assert CUDA in info["gpu_warning"]
    finally:
        cuda.close()


# ---- live, in the studio ---------------------------------------------------------------------


@pytest.fixture
def start_studio(make_studio, tmp_path: Path, media: Path):  # type: ignore[no-untyped-def]
    """``start_studio(**options)``: (client, studio) swapping the scene's face live with
    inswapper on the stand-ins, gfpgan_1.4 (it inverts the crop) in the models folder and
    the face options ``options`` in the config."""
    models = tmp_path / "models"
    build_models(models)
    build_enhancer(models / "gfpgan_1.4.onnx", 512, "invert")
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))

    def _start(**options: Any) -> tuple[Any, Any]:
        client, made = make_studio(
            camera={"fps": 10},
            pipeline={"processors": ["face_swap"]},
            face={
                "engine": "inswapper",
                "sources_dir": str(tmp_path / "faces"),
                "models_dir": str(models),
                "models_manifest": str(tmp_path / "no-manifest.yaml"),
                "options": options,
                # the enhancer's effect, whatever the load (the governor would pause it on a
                # busy machine: tests/backend/test_governor_live.py)
                "governor": "off",
            },
        )
        _ok, png = cv2.imencode(".png", face_image(seed=7))
        resp = client.post(
            "/face/load",
            data={"image": (io.BytesIO(png.tobytes()), "me.png", "image/png")},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 200, resp.get_json()
        assert client.post("/camera/start", json={"source": "scene.png"}).status_code == 200
        assert client.post("/face/start").status_code == 200
        return client, made

    return _start


def snapshot(client) -> np.ndarray:  # type: ignore[no-untyped-def]
    resp = client.get("/snapshot.jpg")
    assert resp.status_code == 200, resp.get_json()
    return cv2.imdecode(np.frombuffer(resp.data, np.uint8), cv2.IMREAD_COLOR)


def swapped_more(client, frames: int = 3) -> None:  # type: ignore[no-untyped-def]
    start = client.get("/face/status").get_json()["frames_swapped"]
    wait_for(
        lambda: client.get("/face/status").get_json()["frames_swapped"] >= start + frames,
        timeout=30,
    )


@pytest.mark.expect_errors("face enhancer failed")
def test_a_failure_while_enhancing_still_sends_the_swapped_face(start_studio) -> None:  # type: ignore[no-untyped-def]
    client, made = start_studio()
    swapped_more(client)
    swap_only = snapshot(client)
    resp = client.post("/face/settings", json={"enhancer": "gfpgan_1.4"})
    assert resp.status_code == 200, resp.get_json()
    enhancer = made.face.enhancer.loaded("gfpgan_1.4")

    def broken(*_args: Any, **_kw: Any) -> np.ndarray:
        raise RuntimeError("the GPU went away")

    enhancer.enhance = broken
    wait_for(lambda: client.get("/face/status").get_json()["enhancer"]["error"], timeout=30)
    swapped_more(client)
    status = client.get("/face/status").get_json()
    assert "the GPU went away" in status["enhancer"]["error"]
    assert status["error"] is None, "the swap itself is fine"
    assert status["enhancer"]["model"] == "gfpgan_1.4"
    out = snapshot(client)
    diff = np.abs(out.astype(int) - swap_only.astype(int)).mean(axis=2)
    assert diff[200:280, 280:360].mean() < 4, "the frame goes out swapped, as without it"


def test_an_enhancer_named_in_the_config_loads_off_the_live_path(start_studio) -> None:  # type: ignore[no-untyped-def]
    """Configured (or restored) rather than chosen: it loads in the background while the
    frames go out swapped, then they go out restored."""
    client, _made = start_studio(enhancer="gfpgan_1.4", enhancer_strength=1.0)
    wait_for(lambda: client.get("/face/status").get_json()["enhancer"]["loaded"], timeout=30)
    wait_for(
        lambda: client.get("/face/status").get_json()["enhancer"]["ms_per_frame"] is not None,
        timeout=30,
    )
    swapped_more(client)
    enhanced = snapshot(client)
    client.post("/face/settings", json={"enhancer": "off"})
    wait_for(lambda: "face.enhance" not in client.get("/face/status").get_json()["stage_ms"])
    swapped_more(client)
    swap_only = snapshot(client)
    diff = np.abs(enhanced.astype(int) - swap_only.astype(int)).mean(axis=2)
    assert diff[200:280, 280:360].mean() > 40


def test_a_configured_enhancer_that_cannot_run_leaves_the_swap_running(start_studio) -> None:  # type: ignore[no-untyped-def]
    client, _made = start_studio(enhancer="gpen_bfr_256")
    swapped_more(client)
    status = client.get("/face/status").get_json()
    assert status["error"] is None and status["frames_swapped"] > 0
    enhancer = status["enhancer"]
    assert enhancer["model"] == "gpen_bfr_256" and not enhancer["available"]
    assert "gpen_bfr_256.onnx" in enhancer["reason"] and not enhancer["loaded"]
    # other options still change (the enhancer is not asked for again)
    resp = client.post("/face/settings", json={"many_faces": True})
    assert resp.status_code == 200, resp.get_json()


def test_a_saved_enhancer_whose_file_went_is_said_and_the_rest_restored(
    start_studio, make_studio, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client, made = start_studio()
    resp = client.post("/face/settings", json={"enhancer": "gfpgan_1.4", "smoothing": 0.3})
    assert resp.status_code == 200, resp.get_json()
    made.close()
    (tmp_path / "models" / "gfpgan_1.4.onnx").unlink()  # gone while the studio was off
    client2, made2 = make_studio(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap"]},
        face={
            "engine": "inswapper",
            "sources_dir": str(tmp_path / "faces"),
            "models_dir": str(tmp_path / "models"),
            "models_manifest": str(tmp_path / "no-manifest.yaml"),
        },
    )
    wait_for(lambda: not made2.face.restoring, timeout=60)
    status = client2.get("/face/status").get_json()
    assert status["source"]["name"] == "me.png", "the face came back"
    assert status["options"]["smoothing"] == 0.3, "and the options"
    enhancer = status["enhancer"]
    assert enhancer["model"] == "gfpgan_1.4" and not enhancer["available"]
    assert "gfpgan_1.4.onnx" in enhancer["reason"]
