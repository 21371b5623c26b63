"""The launcher's first start fetches MediaPipe's face models through pip (issue 23 item 1);
without a network it says so in one line, with the reason and the command to fetch them
later, and goes on (the studio then follows faces with dlib's detector: tests/face/
test_follow.py). pip is pointed at an empty local folder, nothing is downloaded; slow only
because each test runs the weights command (a Python process, pip in it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ar_live_studio.launcher import FACE_MODELS, Launcher
from shared.places import Places
from tests.conftest import require_or_skip
from tests.procs import ROOT


def launcher(tmp_path: Path, models: Path) -> Launcher:
    """A checkout-like home whose backend.yaml keeps its models in ``models``."""
    face = {"models_dir": str(models), "models_manifest": str(ROOT / "config/models.yaml")}
    (tmp_path / "backend.yaml").write_text(yaml.safe_dump({"face": face}))
    places = Places(True, tmp_path, tmp_path, tmp_path / "logs", tmp_path / "run", tmp_path)
    return Launcher(places, gui=False)


@pytest.mark.slow
def test_no_network_on_the_first_start_is_said_once_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nothing").mkdir()
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the weights command runs in the home folder
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nothing"))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    launcher(tmp_path, tmp_path / "models").fetch_face_models()
    out, err = capsys.readouterr()
    assert "fetching MediaPipe's face models through pip" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "MediaPipe's face models were not fetched (" in lines[0]
    assert "No matching distribution" in lines[0], "the reason itself, not 'see above'"
    assert "the face swap runs on dlib's detector" in lines[0]
    assert lines[0].endswith(
        ".venv/bin/python -m ar_backend.weights fetch " + " ".join(FACE_MODELS)
    )
    assert not any((tmp_path / "models").glob("**/*.tflite")), "nothing half fetched"


@pytest.mark.slow
def test_models_already_there_are_not_fetched_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = ROOT / "models"
    if not (models / "mediapipe" / "face_landmark.tflite").exists():
        require_or_skip("MediaPipe's files: python -m ar_backend.weights fetch mediapipe_face")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # a fetch would fail: none may be tried
    launcher(tmp_path, models).fetch_face_models()
    out, err = capsys.readouterr()
    assert "fetching" not in out and err == ""


@pytest.mark.slow
def test_a_fetch_that_cannot_start_says_why_in_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The weights command's own output is captured, so its reason is in the launcher's line
    (here its config cannot be read), never a 'see above' with nothing above."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    places = Places(True, tmp_path, tmp_path, tmp_path / "logs", tmp_path / "run", tmp_path)
    Launcher(places, gui=False).fetch_face_models()  # no backend.yaml in this home
    err = capsys.readouterr().err
    assert "were not fetched (cannot read config file" in err, err
    assert "see above" not in err
