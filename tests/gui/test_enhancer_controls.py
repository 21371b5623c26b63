"""The face panel's enhancer controls and GPU warning (issue 16), on a real backend process
swapping a still scene with inswapper and tiny stand-in models (tests/face/onnx_models.py,
onnx_enhancers.py): choosing an enhancer whose model file is missing shows the backend's
reason and offers Download… (which fetches it from a local server through the backend); a
chosen enhancer shows its cost per frame and, with a live budget no model can keep, the
backend's advice and "Use for file jobs", which opens the Files tab with it chosen for new
jobs; a GPU provider asked for while the CPU runs is said in a warning colour."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import cv2
import pytest
import requests
import yaml

pytest.importorskip("PyQt5")

from tests.face.onnx_enhancers import build_enhancer
from tests.face.onnx_models import build_models, face_image
from tests.weights.conftest import Server
from user_gui.app import i18n

pytestmark = pytest.mark.slow

GPU_FIRST = ["CUDAExecutionProvider", "CPUExecutionProvider"]  # no CUDA on the test machines


@pytest.fixture
def files():  # type: ignore[no-untyped-def]
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def services(spawn, tmp_path: Path, files: Server):  # type: ignore[no-untyped-def]
    """The window's services (as tests/gui/conftest.py's): the backend swaps the scene with
    inswapper, gfpgan_1.4 is in its models folder, gpen_bfr_256 only on the local server
    (listed in the manifest), and the enhancer's live budget (0.001 ms) cannot be kept."""
    models = tmp_path / "models"
    build_models(models)
    gfpgan = build_enhancer(models / "gfpgan_1.4.onnx", 512, "invert").read_bytes()
    gpen = build_enhancer(tmp_path / "served" / "gpen_bfr_256.onnx", 256, "invert").read_bytes()
    files.files["/gpen_bfr_256.onnx"] = gpen
    manifest = tmp_path / "models.yaml"

    def entry(name: str, data: bytes, url: str | None) -> dict[str, Any]:
        return {
            "description": f"{name} face restorer (a tiny stand-in)",
            "licence": "test only",
            "used_by": [f"face enhancer (face.options.enhancer {name})"],
            "files": [
                {
                    "path": f"{name}.onnx",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "hash_source": "computed by the test",
                    "urls": [url] if url else [],
                }
            ],
        }

    manifest.write_text(
        yaml.safe_dump(
            {
                "models": {
                    "gfpgan_1.4": entry("gfpgan_1.4", gfpgan, None),
                    "gpen_bfr_256": entry("gpen_bfr_256", gpen, files.url + "/gpen_bfr_256.onnx"),
                }
            },
            sort_keys=False,
        )
    )
    faces, media = tmp_path / "faces", tmp_path / "media"
    faces.mkdir()
    media.mkdir()
    cv2.imwrite(str(faces / "me.png"), face_image(seed=7))
    cv2.imwrite(str(media / "scene.png"), face_image(seed=1))
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "monitor": {"enabled": False},
                "audio": {"input_device": "no-such-mic"},
                "camera": {"fps": 10, "reconnect_min": 0.2, "reconnect_max": 0.5},
                "pipeline": {"processors": ["face_swap"]},
                "face": {
                    "engine": "inswapper",
                    "sources_dir": str(faces),
                    "models_dir": str(models),
                    "models_manifest": str(manifest),
                    "inswapper": {"providers": GPU_FIRST},
                    "enhancer": {"live_budget_ms": 0.001, "providers": GPU_FIRST},
                },
                "outputs": {"recordings_dir": str(tmp_path / "recordings")},
                "media": {"folders": [str(media)]},
                "jobs": {
                    "data_dir": str(tmp_path / "data"),
                    "outputs_dir": str(tmp_path / "outputs"),
                },
            }
        )
    )
    be = spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")
    for path, body in (
        ("/face/load", {"model_path": "me.png"}),
        ("/camera/start", {"source": "scene.png"}),
        ("/face/start", {}),
    ):
        resp = requests.post(be.url + path, json=body, timeout=60)
        assert resp.status_code == 200, resp.text
    return mon, be, cfg


def backend_status(services) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    _mon, be, _cfg = services
    return requests.get(be.url + "/face/status", timeout=10).json()


def choose(panel, model: str) -> None:  # type: ignore[no-untyped-def]
    """What picking ``model`` in the enhancer combo does (Qt emits activated)."""
    index = panel.enhancer.model.findData(model)
    assert index >= 0, model
    panel.enhancer.model.setCurrentIndex(index)
    panel.enhancer.model.activated.emit(index)


def test_the_enhancer_controls_on_a_real_backend(qtbot, window, services) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtCore import Qt

    panel = window.face_panel
    qtbot.waitUntil(lambda: panel.swap_on and panel.enhancer.model.isEnabled(), timeout=30000)
    assert [panel.enhancer.model.itemText(i) for i in range(panel.enhancer.model.count())] == [
        "Off",
        "GFPGAN 1.4",
        "GPEN-BFR 256",
        "GPEN-BFR 512",
    ]
    assert panel.enhancer.model.currentData() == "off" and not panel.enhancer.strength.isEnabled()

    # the GPU was asked for, the CPU runs: said in a warning colour
    qtbot.waitUntil(panel.engines.gpu_warning.isVisible, timeout=30000)
    assert panel.engines.gpu_warning.toolTip().startswith(
        "⚠ inswapper: asked for CUDAExecutionProvider"
    )
    assert panel.engines.gpu_warning.text().startswith("⚠ ")
    assert "#a85600" in panel.engines.gpu_warning.styleSheet()

    i18n.set_language("zh_CN")  # said from its key (gpu.cpu_fallback) on the next refresh
    qtbot.waitUntil(
        lambda: "要求使用 CUDAExecutionProvider" in panel.engines.gpu_warning.toolTip(),
        timeout=10000,
    )
    i18n.set_language("en")

    # the swap runs on the scene's one face: counted (issue 25 item 11), in plain words
    qtbot.waitUntil(lambda: "1 face in frame" in panel.engines.state.text(), timeout=30000)
    assert "face(s)" not in panel.engines.state.text()

    # an enhancer whose model file is missing: the backend's reason, and Download…
    choose(panel, "gpen_bfr_256")
    qtbot.waitUntil(panel.enhancer.problem_box.isVisible, timeout=15000)
    reason = panel.enhancer.problem.toolTip()  # the backend's words, whole
    assert reason.startswith(
        "GPEN-BFR 256 was not turned on: gpen_bfr_256 is unavailable: missing model file "
    )
    assert "gpen_bfr_256.onnx" in reason
    assert "python -m ar_backend.weights fetch gpen_bfr_256" in reason
    assert panel.enhancer.model.currentData() == "off"  # the backend changed nothing
    assert backend_status(services)["options"]["enhancer"] == "off"
    assert panel.enhancer.download.isVisible()
    # the person goes on to something else: the refusal is not left under "Model: Off"
    qtbot.waitUntil(panel.engines.mouth_mask.isEnabled, timeout=10000)
    panel.engines.mouth_mask.click()
    qtbot.waitUntil(lambda: backend_status(services)["options"]["mouth_mask"], timeout=10000)
    qtbot.waitUntil(lambda: not panel.enhancer.problem_box.isVisible(), timeout=10000)
    assert panel.enhancer.model.currentText() == "Off"
    qtbot.waitUntil(panel.enhancer.model.isEnabled, timeout=10000)
    choose(panel, "gpen_bfr_256")  # asked again: said again, with Download…
    qtbot.waitUntil(panel.enhancer.problem_box.isVisible, timeout=15000)
    assert panel.enhancer.download.isVisible()
    qtbot.mouseClick(panel.enhancer.download, Qt.MouseButton.LeftButton)
    dialog = panel.models_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.listing is not None, timeout=15000)
    assert dialog.focus == ["gpen_bfr_256"]
    assert dialog.focus_line.text() == "The GPEN-BFR 256 enhancer needs: gpen_bfr_256"
    row = dialog.rows["gpen_bfr_256"]
    assert row.state.text() == "missing"
    row.download.click()
    qtbot.waitUntil(lambda: row.state.text() == "present", timeout=20000)
    qtbot.waitUntil(lambda: not panel.enhancer.problem_box.isVisible(), timeout=15000)  # fixed
    dialog.close()
    choose(panel, "gpen_bfr_256")
    qtbot.waitUntil(
        lambda: backend_status(services)["options"]["enhancer"] == "gpen_bfr_256", timeout=30000
    )

    # one that runs: its cost, and the advice when it cannot keep the live rate here
    choose(panel, "gfpgan_1.4")
    qtbot.waitUntil(panel.enhancer.advice_box.isVisible, timeout=30000)
    assert (
        panel.enhancer.model.currentData() == "gfpgan_1.4" and panel.enhancer.strength.isEnabled()
    )
    assert not panel.enhancer.problem_box.isVisible()
    cost = panel.enhancer.cost.text()
    assert cost.startswith("Enhancer: ") and cost.endswith(" ms per frame on CPUExecutionProvider")
    advice = panel.enhancer.advice.toolTip()
    enhancer = backend_status(services)["enhancer"]
    assert enhancer["keeps_live_rate"] is False
    assert advice.startswith("the enhancer takes ") and "file jobs" in advice  # the backend's
    assert (
        panel.enhancer.use_for_files_button.isVisible()
        and panel.enhancer.use_for_files_button.text() == "Use for file jobs"
    )
    assert enhancer["gpu_warning"] and "CUDAExecutionProvider" in enhancer["gpu_warning"]
    qtbot.waitUntil(lambda: "GFPGAN 1.4" in panel.engines.gpu_warning.toolTip(), timeout=10000)

    # the strength: sent once the slider rests
    panel.enhancer.strength.setValue(50)
    assert panel.enhancer.strength_value.text() == "50%"
    qtbot.waitUntil(
        lambda: backend_status(services)["options"]["enhancer_strength"] == 0.5, timeout=10000
    )

    # "Use for file jobs": the Files tab, with the enhancer chosen for new jobs
    files_panel = window.files_panel
    assert files_panel.form.enhancer.currentData() == "off"  # off by default
    assert files_panel.form.job_options()["enhancer"] == "off"
    qtbot.waitUntil(
        panel.enhancer.use_for_files_button.isEnabled, timeout=10000
    )  # the strength's answer
    qtbot.mouseClick(panel.enhancer.use_for_files_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is files_panel
    assert files_panel.form.enhancer.currentData() == "gfpgan_1.4"
    assert files_panel.form.enhancer.currentText() == "GFPGAN 1.4"
    options = files_panel.form.job_options()
    assert options["enhancer"] == "gfpgan_1.4" and options["enhancer_strength"] == 0.5

    # in Chinese
    i18n.set_language("zh_CN")
    assert panel.enhancer.title() == "人脸增强"
    assert panel.enhancer.use_for_files_button.text() == "用于文件任务"
    assert panel.enhancer.model.itemText(0) == "关闭"
    i18n.set_language("en")


def test_a_file_job_is_sent_with_the_enhancer_chosen(qtbot, window, services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files_panel = window.files_panel
    qtbot.waitUntil(lambda: files_panel.add_button.isEnabled(), timeout=30000)
    files_panel.set_enhancer("gfpgan_1.4", 0.7)
    picture = tmp_path / "still.png"
    cv2.imwrite(str(picture), face_image(seed=1))
    files_panel.add_files([str(picture)])
    qtbot.waitUntil(lambda: bool(files_panel.jobs), timeout=30000)
    job = files_panel.jobs[0]
    assert job.options.get("enhancer") == "gfpgan_1.4"
    assert job.options.get("enhancer_strength") == 0.7
