"""The face enhancer live, through a real backend process: the inswapper engine and a
restorer on tiny stand-in models (tests/face/onnx_models.py, onnx_enhancers.py: the real
files' interfaces, no weights downloaded). Chosen with POST /face/settings, it changes the
swapped face in the frames that go out and nothing around it; status names its provider and
its cost per frame, and says when that cannot keep the live rate; an enhancer that cannot
run here is refused naming the field, changing nothing. A file job asking for it gets it, in
the job's own worker process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import requests

from shared.wire.backend import FaceStatusOut
from tests.face.onnx_enhancers import build_enhancer
from tests.face.onnx_models import build_models, face_image
from tests.procs import ServiceProcess, wait_for

pytestmark = pytest.mark.slow

FACE = (slice(200, 280), slice(280, 360))  # the middle of the scene's face
CORNERS = ((slice(0, 60), slice(0, 60)), (slice(-60, None), slice(-60, None)))


@pytest.fixture
def live(backend, backend_config, tmp_path: Path, media: Path) -> ServiceProcess:  # type: ignore[no-untyped-def]
    """A backend swapping the scene's face with inswapper, gfpgan_1.4 in its models folder
    (it inverts the face crop), and a live budget no enhancer can keep."""
    models = tmp_path / "models"
    build_models(models)
    build_enhancer(models / "gfpgan_1.4.onnx", 512, "invert")
    faces = tmp_path / "faces"
    faces.mkdir()
    cv2.imwrite(str(faces / "me.png"), face_image(seed=7))
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))
    cfg = backend_config(
        camera={"fps": 10},
        pipeline={"processors": ["face_swap"]},
        face={
            "engine": "inswapper",
            "sources_dir": str(faces),
            "models_dir": str(models),
            # the stand-in models are not the manifest's files: check none (tests/weights does)
            "models_manifest": str(tmp_path / "no-manifest.yaml"),
            "enhancer": {"live_budget_ms": 0.001},
            # the enhancer's effect, whatever the load (the governor would pause it on a
            # busy machine: tests/backend/test_governor_live.py)
            "governor": "off",
        },
        jobs={"data_dir": str(tmp_path / "data"), "outputs_dir": str(tmp_path / "outputs")},
    )
    be = backend("--no-autostart", config=cfg)
    call(be, "post", "/face/load", json={"model_path": "me.png"})
    call(be, "post", "/camera/start", json={"source": "scene.png"})
    call(be, "post", "/face/start")
    return be


def call(be: ServiceProcess, method: str, path: str, status: int = 200, **kw: Any) -> Any:
    resp = requests.request(method, be.url + path, timeout=30, **kw)
    assert resp.status_code == status, resp.text
    return resp.json()


def face_status(be: ServiceProcess) -> dict[str, Any]:
    return FaceStatusOut.model_validate(call(be, "get", "/face/status")).model_dump()


def after(be: ServiceProcess, ready: Callable[[dict[str, Any]], bool], frames: int = 3) -> None:
    """Wait until ``ready(status)``, then for ``frames`` more swapped frames."""
    wait_for(lambda: ready(face_status(be)), timeout=30)
    start = face_status(be)["frames_swapped"]
    wait_for(lambda: face_status(be)["frames_swapped"] >= start + frames, timeout=30)


def snapshot(be: ServiceProcess) -> np.ndarray:
    resp = requests.get(be.url + "/snapshot.jpg", timeout=10)
    assert resp.status_code == 200, resp.text
    return cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR)


def mean_diff(a: np.ndarray, b: np.ndarray, where: tuple[slice, slice]) -> float:
    return float(np.abs(a[where].astype(int) - b[where].astype(int)).mean())


def test_the_enhancer_changes_the_swapped_face_live_and_says_what_it_costs(
    live: ServiceProcess,
) -> None:
    after(live, lambda st: st["frames_swapped"] > 0)
    before = face_status(live)["enhancer"]
    assert before["model"] == "off" and before["ms_per_frame"] is None
    swap_only = snapshot(live)

    chosen = call(
        live, "post", "/face/settings", json={"enhancer": "gfpgan_1.4", "enhancer_strength": 1.0}
    )
    assert chosen["enhancer"]["model"] == "gfpgan_1.4" and chosen["enhancer"]["loaded"]
    after(live, lambda st: st["enhancer"]["ms_per_frame"] is not None)
    enhanced = snapshot(live)
    assert mean_diff(enhanced, swap_only, FACE) > 40, "the swapped face is restored"
    for corner in CORNERS:
        assert mean_diff(enhanced, swap_only, corner) < 3, "the background is not"

    status = face_status(live)
    enhancer = status["enhancer"]
    assert enhancer["available"] and enhancer["reason"] is None and enhancer["error"] is None
    assert enhancer["provider"] == "CPUExecutionProvider" and enhancer["gpu_warning"] is None
    assert enhancer["requested"] == ["auto"]
    assert enhancer["ms_per_frame"] > 0 and "face.enhance" in status["stage_ms"]
    # the budget (0.001 ms) cannot be kept: status says so, and what to do instead
    assert enhancer["live_budget_ms"] == 0.001 and enhancer["keeps_live_rate"] is False
    assert "file jobs" in enhancer["advice"] and "drop frames" in enhancer["advice"]

    # off again: the frames are the swap's alone
    call(live, "post", "/face/settings", json={"enhancer": "off"})
    after(live, lambda st: "face.enhance" not in st["stage_ms"])
    assert mean_diff(snapshot(live), swap_only, FACE) < 4
    assert face_status(live)["enhancer"]["keeps_live_rate"] is None


def test_an_enhancer_that_cannot_run_here_is_refused_naming_it(live: ServiceProcess) -> None:
    call(live, "post", "/face/settings", json={"enhancer": "gfpgan_1.4", "enhancer_strength": 0.5})
    missing = requests.post(
        live.url + "/face/settings",
        json={"enhancer": "gpen_bfr_512", "enhancer_strength": 0.9},
        timeout=30,
    )
    assert missing.status_code == 503, missing.text
    body = missing.json()
    assert body["field"] == "enhancer"
    assert "gpen_bfr_512.onnx" in body["message"]
    assert "python -m ar_backend.weights fetch gpen_bfr_512" in body["message"]
    unknown = requests.post(
        live.url + "/face/settings", json={"enhancer": "codeformer"}, timeout=30
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "enhancer", unknown.text
    # nothing changed: neither the model nor the strength sent with it
    enhancer = face_status(live)["enhancer"]
    assert enhancer["model"] == "gfpgan_1.4" and enhancer["strength"] == 0.5


def test_a_file_job_restores_the_swapped_face_in_its_worker(
    live: ServiceProcess, media: Path
) -> None:
    def run(options: dict[str, Any], output: str) -> np.ndarray:
        body = {"input": "scene.png", "face": "me.png", "engine": "inswapper", "output": output}
        queued = call(live, "post", "/jobs", 202, json={**body, "options": options})
        done = wait_for(
            lambda: (
                (j := call(live, "get", f"/jobs/{queued['id']}"))["state"]
                not in ("queued", "running")
                and j
            ),
            timeout=120,
            interval=0.2,
        )
        assert done["state"] == "done", done
        resp = requests.get(f"{live.url}/jobs/{queued['id']}/output", timeout=10)
        assert resp.status_code == 200, resp.text
        return cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_COLOR)

    swap_only = run({"enhancer": "off"}, "plain.png")
    enhanced = run({"enhancer": "gfpgan_1.4", "enhancer_strength": 1.0}, "restored.png")
    scene = cv2.imread(str(media / "scene.png"))
    assert mean_diff(swap_only, scene, FACE) > 8  # (swapped)
    assert mean_diff(enhanced, swap_only, FACE) > 40  # and restored
    for corner in CORNERS:
        assert np.array_equal(enhanced[corner], scene[corner])
