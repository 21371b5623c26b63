"""File jobs with the face enhancer, on tiny stand-in models (the inswapper engine's and a
restorer that inverts the face crop: tests/face/onnx_models.py, onnx_enhancers.py): the
swapped face comes back restored in a picture and in every frame of a video, the rest of the
picture untouched; a job asking for an enhancer that cannot run is refused when it is
created (POST /jobs) or fails with the reason, and one that fails on a frame fails the job,
never leaving a file without it."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from ar_backend.config import FaceConfig, FaceOptions
from ar_backend.face.engines import Engine, create_engine
from ar_backend.face.enhancers.onnx_restorer import OnnxRestorer
from ar_backend.jobs.queue import JobQueue
from ar_backend.jobs.render import run_job
from ar_backend.jobs.spec import JobFailed, JobSpec
from tests.backend import conftest as backend_fixtures
from tests.cli import WAYS, Exited, command_line
from tests.face.onnx_enhancers import build_enhancer
from tests.face.onnx_models import build_models, face_image
from tests.jobs.clip import decode_frames

# the backend's fixtures, for this folder (tests/jobs has no conftest of its own)
make_studio = backend_fixtures.make_studio
media = backend_fixtures.media

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # skimage, inside insightface

FACE = (slice(200, 280), slice(280, 360))  # the middle of the scene's face
AWAY = ((slice(0, 80), slice(0, 80)), (slice(-80, None), slice(-80, None)))
ENHANCED = FaceOptions(enhancer="gfpgan_1.4", enhancer_strength=1.0)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/ (inswapper's stand-ins and gfpgan_1.4.onnx), ``scene.png`` (a face to
    replace) and ``me.png`` (the face put in)."""
    root = tmp_path_factory.mktemp("enhancer-jobs")
    build_models(root / "models")
    build_enhancer(root / "models" / "gfpgan_1.4.onnx", 512, "invert")
    cv2.imwrite(str(root / "scene.png"), face_image(seed=1))
    cv2.imwrite(str(root / "me.png"), face_image(seed=7))
    return root


@pytest.fixture(scope="module")
def cfg(folder: Path) -> FaceConfig:
    return FaceConfig(
        engine="inswapper",
        models_dir=str(folder / "models"),
        # the stand-in models are not the manifest's files: check none (tests/weights does)
        models_manifest=str(folder / "no-manifest.yaml"),
    )


@pytest.fixture(scope="module")
def engine(cfg: FaceConfig) -> Engine:
    made = create_engine("inswapper", cfg)
    yield made
    made.close()


def job(
    folder: Path, cfg: FaceConfig, engine: Engine, source: Path, out: Path, options: FaceOptions
) -> Any:
    spec = JobSpec(source, out, folder / "me.png", engine="inswapper", options=options)
    return run_job(spec, cfg, lambda _: None, lambda: False, engine)


def diff(a: np.ndarray, b: np.ndarray, where: tuple[slice, slice]) -> float:
    return float(np.abs(a[where].astype(int) - b[where].astype(int)).mean())


def test_a_picture_comes_back_with_the_swapped_face_restored_and_nothing_else_changed(
    folder: Path, cfg: FaceConfig, engine: Engine, tmp_path: Path
) -> None:
    scene = folder / "scene.png"
    plain = job(folder, cfg, engine, scene, tmp_path / "plain.png", FaceOptions())
    restored = job(folder, cfg, engine, scene, tmp_path / "restored.png", ENHANCED)
    assert restored.frames_swapped == plain.frames_swapped == 1
    original = cv2.imread(str(scene))
    swap_only = cv2.imread(str(plain.output_path))
    enhanced = cv2.imread(str(restored.output_path))
    assert diff(swap_only, original, FACE) > 8  # (the swap itself happened)
    assert diff(enhanced, swap_only, FACE) > 40  # the restorer inverts the face crop
    for away in AWAY:  # PNG is lossless: exactly the same pixels away from the face
        assert np.array_equal(enhanced[away], original[away])


def _video(path: Path, frames: int = 6) -> Path:
    """A short H.264 video of the scene, its face drifting right 4 px a frame."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10, 1))
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for i in range(frames):
            image = face_image(seed=1, centre=(300 + 4 * i, 240))
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_every_frame_of_a_video_is_restored(
    folder: Path, cfg: FaceConfig, engine: Engine, tmp_path: Path
) -> None:
    clip = _video(tmp_path / "scene.mp4")
    plain = job(folder, cfg, engine, clip, tmp_path / "plain.mp4", FaceOptions())
    restored = job(folder, cfg, engine, clip, tmp_path / "restored.mp4", ENHANCED)
    assert restored.frames == plain.frames == 6 and restored.frames_swapped == 6
    for i, (a, b) in enumerate(
        zip(decode_frames(plain.output_path), decode_frames(restored.output_path), strict=True)
    ):
        face = (slice(200, 280), slice(260 + 4 * i, 340 + 4 * i))
        assert diff(b, a, face) > 40, f"frame {i}"
        for away in AWAY:
            assert diff(b, a, away) < 4, f"frame {i}"


def test_a_job_asking_for_a_missing_enhancer_fails_naming_it(
    folder: Path, cfg: FaceConfig, engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "out.png"
    with pytest.raises(JobFailed) as caught:
        job(folder, cfg, engine, folder / "scene.png", out, FaceOptions(enhancer="gpen_bfr_512"))
    reason = caught.value.reason
    assert reason.startswith("options.enhancer: gpen_bfr_512 is unavailable")
    assert "gpen_bfr_512.onnx" in reason and "python -m ar_backend.weights fetch" in reason
    assert os.listdir(tmp_path) == []


@pytest.mark.expect_errors("face enhancer failed")
def test_an_enhancer_failing_on_a_frame_fails_the_job_and_leaves_no_file(
    folder: Path, cfg: FaceConfig, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kw: Any) -> np.ndarray:
        raise RuntimeError("out of GPU memory")

    monkeypatch.setattr(OnnxRestorer, "enhance", broken)
    with pytest.raises(JobFailed) as caught:
        job(folder, cfg, engine, folder / "scene.png", tmp_path / "out.png", ENHANCED)
    assert caught.value.reason == (
        "the face enhancer (gfpgan_1.4) failed at frame 0: RuntimeError: out of GPU memory"
    )
    assert os.listdir(tmp_path) == []


# ---- POST /jobs ----------------------------------------------------------------------------------


@pytest.fixture
def jobs_app(make_studio, folder: Path, tmp_path: Path, media: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """(client, studio) with the stand-in models, no job dispatched (they stay queued)."""
    monkeypatch.setattr(JobQueue, "_dispatch", lambda self: None)
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))
    cv2.imwrite(str(media / "me.png"), face_image(seed=7))
    return make_studio(
        face={
            "engine": "inswapper",
            "models_dir": str(folder / "models"),
            "models_manifest": str(folder / "no-manifest.yaml"),
        },
        jobs={"data_dir": str(tmp_path / "data"), "outputs_dir": str(tmp_path / "outputs")},
    )


def test_a_job_for_an_enhancer_that_cannot_run_is_refused_when_created(jobs_app) -> None:  # type: ignore[no-untyped-def]
    client, _studio = jobs_app
    body = {"input": "scene.png", "face": "me.png", "engine": "inswapper"}
    refused = client.post("/jobs", json={**body, "options": {"enhancer": "gpen_bfr_256"}})
    assert refused.status_code == 503, refused.get_json()
    answer = refused.get_json()
    assert answer["field"] == "options.enhancer"
    assert "gpen_bfr_256.onnx" in answer["message"]
    assert client.get("/jobs").get_json()["jobs"] == [], "nothing was queued"

    queued = client.post("/jobs", json={**body, "options": {"enhancer": "gfpgan_1.4"}})
    assert queued.status_code == 202, queued.get_json()
    assert queued.get_json()["options"]["enhancer"] == "gfpgan_1.4"


@pytest.mark.parametrize("way", WAYS)
def test_the_command_line_takes_the_enhancer(folder: Path, tmp_path: Path, way: str) -> None:
    """``python -m ar_backend.jobs swap --enhancer`` (tests/cli.py: in this process, and as a
    user runs it in the full suite)."""
    import yaml

    config = tmp_path / "backend.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "face": {
                    "engine": "inswapper",
                    "models_dir": str(folder / "models"),
                    "models_manifest": str(folder / "no-manifest.yaml"),
                    "state_dir": None,
                }
            }
        )
    )
    run = command_line(way, "ar_backend.jobs")

    def swap(out: Path, *extra: str) -> Exited:
        scene, me = folder / "scene.png", folder / "me.png"
        return run("swap", scene, out, "--face", me, "--config", config, *extra)

    plain, enhanced = tmp_path / "plain.png", tmp_path / "enhanced.png"
    assert swap(plain).returncode == 0
    done = swap(enhanced, "--enhancer", "gfpgan_1.4", "--enhancer-strength", "1")
    assert done.returncode == 0, done.stderr
    swapped, restored = cv2.imread(str(plain)), cv2.imread(str(enhanced))
    assert diff(restored, swapped, FACE) > 40  # the stand-in restorer inverts the face
    missing = swap(tmp_path / "x.png", "--enhancer", "gpen_bfr_512")
    assert missing.returncode == 1
    assert (
        "gpen_bfr_512 is unavailable" in missing.stderr and "fetch gpen_bfr_512" in missing.stderr
    )
    bad = swap(tmp_path / "y.png", "--enhancer-strength", "1.5")
    assert bad.returncode == 2 and "between 0 and 1" in bad.stderr
