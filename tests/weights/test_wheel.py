"""Model files taken out of a pinned wheel that pip itself downloads (MediaPipe's .tflite
files in the mediapipe wheel): the real pip, run as the CLI runs it, against a local
package folder (PIP_NO_INDEX, PIP_FIND_LINKS) holding a wheel the test builds."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
import yaml

from ar_backend.weights import load_manifest
from ar_backend.weights.fetch import FetchError, fetch_model
from ar_backend.weights.wheel import Wheels
from tests.weights.conftest import weights_cli as _cli

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # each pip run takes a second or two

MEMBERS = {
    "mpfake/modules/face/a.tflite": os.urandom(5000),
    "mpfake/modules/hand/b.tflite": os.urandom(7000),
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local package folder with mpfake 1.0 (a pure-Python wheel suits any platform pin),
    and pip pointed at it only."""
    folder = tmp_path / "index"
    folder.mkdir()
    wheel = folder / "mpfake-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as out:
        for name, data in MEMBERS.items():
            out.writestr(name, data)
        out.writestr(
            "mpfake-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: mpfake\nVersion: 1.0\n"
        )
        out.writestr(
            "mpfake-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        out.writestr("mpfake-1.0.dist-info/RECORD", "")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return wheel


def manifest(
    tmp_path: Path, wheel: Path, *, member_sha: str | None = None, wheel_sha: str | None = None
) -> Path:
    data = wheel.read_bytes()
    files = {
        "face_part": [("mp/a.tflite", "mpfake/modules/face/a.tflite")],
        "hand_part": [("mp/b.tflite", "mpfake/modules/hand/b.tflite")],
    }
    doc = {
        "wheels": {
            "mpfake-1.0": {
                "requirement": "mpfake==1.0",
                "platform": "manylinux_2_28_x86_64",
                "python_version": "3.11",
                "abi": "cp311",
                "size": len(data),
                "sha256": wheel_sha or sha(data),
                "hash_source": "computed by the test",
            }
        },
        "models": {
            name: {
                "description": name,
                "licence": "Apache-2.0",
                "used_by": ["tests"],
                "files": [
                    {
                        "path": path,
                        "size": len(MEMBERS[member]),
                        "sha256": member_sha or sha(MEMBERS[member]),
                        "hash_source": "computed by the test",
                        "wheel": {"wheel": "mpfake-1.0", "member": member},
                    }
                    for path, member in entries
                ],
            }
            for name, entries in files.items()
        },
    }
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_the_cli_takes_each_verified_member_out_of_one_pip_download(index, tmp_path):
    path = manifest(tmp_path, index)
    models = tmp_path / "models"
    common = ("--manifest", str(path), "--models-dir", str(models))
    done = _cli(*common, "fetch", "face_part", "hand_part")
    assert done.returncode == 0, done.stderr
    assert (models / "mp" / "a.tflite").read_bytes() == MEMBERS["mpfake/modules/face/a.tflite"]
    assert (models / "mp" / "b.tflite").read_bytes() == MEMBERS["mpfake/modules/hand/b.tflite"]
    assert "face_part: " in done.stdout and "verified" in done.stdout
    assert not list(models.rglob("*.part")), "nothing half-written left behind"
    verify = _cli(*common, "verify", "face_part")
    assert verify.returncode == 0


def test_one_download_serves_every_model_and_the_temporary_folder_goes(
    index, tmp_path, monkeypatch
):
    from ar_backend.weights import wheel as wheel_mod

    calls: list[str] = []
    real = wheel_mod.download

    def counted(pin, folder, cancel=None):  # type: ignore[no-untyped-def]
        calls.append(pin.requirement)
        return real(pin, folder, cancel)

    monkeypatch.setattr(wheel_mod, "download", counted)
    loaded = load_manifest(manifest(tmp_path, index))
    wheels = Wheels(loaded.wheels)
    try:
        fetch_model(loaded, "face_part", tmp_path / "models", wheels)
        fetch_model(loaded, "hand_part", tmp_path / "models", wheels)
        folder = wheels._folder
        assert folder is not None and folder.is_dir()
    finally:
        wheels.close()
    assert calls == ["mpfake==1.0"]
    assert not folder.exists()


def test_a_member_with_the_wrong_hash_is_never_put_in_place(index, tmp_path):
    loaded = load_manifest(manifest(tmp_path, index, member_sha="0" * 64))
    with pytest.raises(FetchError, match=r"mp/a.tflite .*wrong hash"):
        fetch_model(loaded, "face_part", tmp_path / "models")
    assert not (tmp_path / "models" / "mp" / "a.tflite").exists()
    assert not list((tmp_path / "models").rglob("*.part"))


def test_pip_refuses_a_wheel_whose_hash_is_not_the_pinned_one(index, tmp_path):
    loaded = load_manifest(manifest(tmp_path, index, wheel_sha="1" * 64))
    with pytest.raises(FetchError) as caught:
        fetch_model(loaded, "face_part", tmp_path / "models")
    text = str(caught.value)
    assert "pip download mpfake==1.0 failed" in text and "HASHES" in text.upper()
    assert "\n" not in text, "one line a user reads, not pip's page"


def test_no_package_to_be_had_is_said_in_one_line(index, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    path = manifest(tmp_path, index)
    done = _cli(
        "--manifest", str(path), "--models-dir", str(tmp_path / "models"), "fetch", "face_part"
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "face_part: mp/a.tflite could not be fetched" in errors[0]
    assert "No matching distribution" in errors[0] and "no network" in errors[0]
