"""Verified downloads: full, resumed, wrong hash, mirror fallback; the CLI; and the inswapper
engine refusing a corrupt file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ar_backend.weights.fetch import FetchError, fetch_model
from ar_backend.weights.manifest import load_manifest
from ar_backend.weights.verify import check_file
from tests.cli import WAYS, command_line
from tests.weights.conftest import sha


def _blob(n: int = 300_000, seed: int = 1) -> bytes:
    return os.urandom(n) if seed < 0 else bytes((i * 7 + seed) % 251 for i in range(n))


def _one(server, write_manifest, data: bytes, **file):  # type: ignore[no-untyped-def]
    server.files["/a.bin"] = data
    entry = {"path": "sub/a.bin", "size": len(data), "sha256": sha(data)}
    entry["urls"] = [server.url + "/a.bin"]
    entry.update(file)
    return load_manifest(write_manifest({"m": [entry]}))


def test_full_download(server, write_manifest, tmp_path: Path) -> None:
    data = os.urandom(200_000)
    manifest = _one(server, write_manifest, data)
    models = tmp_path / "models"
    assert check_file(models, manifest, "sub/a.bin") == "missing"
    [path] = fetch_model(manifest, "m", models)
    assert path.read_bytes() == data
    assert check_file(models, manifest, "sub/a.bin") == "present"
    assert not list(models.rglob("*.part"))


def test_resume_after_drop(server, write_manifest, tmp_path: Path) -> None:
    data = os.urandom(400_000)
    manifest = _one(server, write_manifest, data)
    server.drop_once.add("/a.bin")
    [path] = fetch_model(manifest, "m", tmp_path / "models", backoff=0.01)
    assert path.read_bytes() == data
    assert len(server.requests) == 2
    assert server.requests[0][1] is None
    rng = server.requests[1][1]
    assert rng is not None and rng.startswith("bytes=") and rng.endswith("-")
    assert 0 < int(rng[6:-1]) <= len(data) // 2  # resumed from what had been written


def test_server_ignoring_range_restarts(server, write_manifest, tmp_path: Path) -> None:
    data = os.urandom(400_000)
    manifest = _one(server, write_manifest, data)
    server.drop_once.add("/a.bin")
    server.ignore_range = True
    [path] = fetch_model(manifest, "m", tmp_path / "models", backoff=0.01)
    assert path.read_bytes() == data
    assert server.requests[1][1] is not None  # it asked; the server sent it all again


def test_wrong_hash_removed_and_nothing_renamed(server, write_manifest, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    manifest = _one(server, write_manifest, data, sha256=sha(b"other"))
    models = tmp_path / "models"
    with pytest.raises(FetchError) as err:
        fetch_model(manifest, "m", models)
    assert "m: sub/a.bin" in str(err.value) and "wrong hash" in str(err.value)
    assert not (models / "sub" / "a.bin").exists()
    assert not list(models.rglob("*.part"))


def test_404_then_second_mirror(server, write_manifest, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    server.files["/gone.bin"] = b""
    server.not_found.add("/gone.bin")
    manifest = _one(
        server, write_manifest, data, urls=[server.url + "/gone.bin", server.url + "/a.bin"]
    )
    [path] = fetch_model(manifest, "m", tmp_path / "models")
    assert path.read_bytes() == data
    assert [p for p, _ in server.requests] == ["/gone.bin", "/a.bin"]


def test_archive_when_every_mirror_fails(server, write_manifest, tmp_path: Path) -> None:
    """buffalo_l's way: both files fall back to members of one zip, downloaded once."""
    import io
    import zipfile

    det, rec = os.urandom(60_000), os.urandom(40_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as bundle:
        bundle.writestr("pack/det.onnx", det)
        bundle.writestr("pack/rec.onnx", rec)
    server.files["/pack.zip"] = zipped = buf.getvalue()
    server.not_found.add("/det.onnx")  # the file mirror is gone: only the archive is left

    def entry(path: str, data: bytes, member: str) -> dict[str, object]:
        return {
            "path": path,
            "size": len(data),
            "sha256": sha(data),
            "urls": [server.url + "/det.onnx"],
            "archive": {
                "urls": [server.url + "/pack.zip"],
                "member": member,
                "size": len(zipped),
                "sha256": sha(zipped),
                "hash_source": "the test",
            },
        }

    manifest = load_manifest(
        write_manifest(
            {"pack": [entry("p/det.onnx", det, "det.onnx"), entry("p/rec.onnx", rec, "rec.onnx")]}
        )
    )
    models = tmp_path / "models"
    paths = fetch_model(manifest, "pack", models)
    assert [p.read_bytes() for p in paths] == [det, rec]
    assert [p for p, _ in server.requests].count("/pack.zip") == 1  # kept for the 2nd member
    assert sorted(f.name for f in (models / "p").iterdir()) == ["det.onnx", "rec.onnx"]


def test_archive_with_a_wrong_hash_is_refused(server, write_manifest, tmp_path: Path) -> None:
    import io
    import zipfile

    data = os.urandom(30_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as bundle:
        bundle.writestr("det.onnx", data)
    server.files["/pack.zip"] = buf.getvalue()
    entry = {
        "path": "det.onnx",
        "size": len(data),
        "sha256": sha(data),
        "urls": [],
        "archive": {
            "urls": [server.url + "/pack.zip"],
            "member": "det.onnx",
            "sha256": sha(b"another zip"),
            "hash_source": "the test",
        },
    }
    manifest = load_manifest(write_manifest({"pack": [entry]}))
    models = tmp_path / "models"
    with pytest.raises(FetchError) as err:
        fetch_model(manifest, "pack", models)
    assert "pack: det.onnx" in str(err.value) and "pack.zip" in str(err.value)
    assert not models.joinpath("det.onnx").exists()
    assert not [f for f in models.rglob("*") if f.is_file()]  # nothing left behind


@pytest.mark.parametrize("way", WAYS)
def test_cli_end_to_end(server, write_manifest, tmp_path: Path, way: str) -> None:
    _cli = command_line(way, "ar_backend.weights")
    good, bad = os.urandom(3_000_000), os.urandom(20_000)
    server.files["/good.bin"], server.files["/bad.bin"] = good, bad
    path = write_manifest(
        {
            "good": [
                {
                    "path": "good.bin",
                    "size": len(good),
                    "sha256": sha(good),
                    "urls": [server.url + "/good.bin"],
                }
            ],
            "bad": [
                {
                    "path": "bad.bin",
                    "size": len(bad),
                    "sha256": sha(b"x"),
                    "urls": [server.url + "/bad.bin"],
                }
            ],
        }
    )
    common = ("--manifest", str(path), "--models-dir", str(tmp_path / "models"))
    listed = _cli(*common, "list")
    assert listed.returncode == 0 and "missing" in listed.stdout
    assert _cli(*common, "verify").returncode == 1
    fetched = _cli(*common, "fetch", "good")
    assert fetched.returncode == 0, fetched.stderr
    # not a terminal: the progress as lines, from the first bytes to the whole file
    progress = [line for line in fetched.stderr.splitlines() if line.startswith("good: good.bin")]
    assert progress[-1] == "good: good.bin 100% (3.0 of 3.0 MB)", fetched.stderr
    assert len(progress) >= 3, "several steps on the way"
    assert _cli(*common, "verify", "good").returncode == 0
    failed = _cli(*common, "fetch", "bad")
    assert failed.returncode == 1
    assert "bad: bad.bin" in failed.stderr and "wrong hash" in failed.stderr
    (tmp_path / "models" / "good.bin").write_bytes(b"z" * len(good))
    verified = _cli(*common, "verify", "good")
    assert verified.returncode == 1 and "corrupt" in verified.stderr
    assert "good.bin" in _cli(*common, "list").stdout


def test_inswapper_refuses_corrupt_file(tmp_path: Path, write_manifest) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("insightface")
    from ar_backend.config import FaceConfig
    from ar_backend.face.engines import inswapper
    from tests.face.onnx_models import build_models

    models = tmp_path / "models"
    paths = build_models(models)

    def manifest(wrong: bool) -> Path:
        def entry(p: Path, corrupt: bool = False) -> dict[str, object]:
            data = p.read_bytes()
            return {
                "path": p.relative_to(models).as_posix(),
                "size": len(data),
                "sha256": sha(data + b"!" if corrupt else data),
            }

        return write_manifest(
            {
                "inswapper_128": [entry(paths["swapper"], corrupt=wrong)],
                "buffalo_l": [entry(paths["detector"]), entry(paths["recognizer"])],
            }
        )

    cfg = FaceConfig(models_dir=str(models), models_manifest=str(manifest(True)))
    reason = inswapper._check(cfg)
    assert reason and "corrupt" in reason and "inswapper_128.onnx" in reason
    assert "python -m ar_backend.weights fetch inswapper_128" in reason
    from ar_backend.face.errors import EngineUnavailable

    with pytest.raises(EngineUnavailable, match="corrupt"):
        inswapper.InswapperEngine(cfg)
    cfg = FaceConfig(models_dir=str(models), models_manifest=str(manifest(False)))
    assert inswapper._check(cfg) is None


def test_a_dead_mirror_is_said_in_a_line_a_user_acts_on(write_manifest, tmp_path: Path) -> None:
    from shared.ports import free_port

    data = b"x" * 1000
    dead = f"http://127.0.0.1:{free_port()}/a.bin"  # nothing listens there
    manifest = load_manifest(
        write_manifest(
            {"m": [{"path": "a.bin", "size": len(data), "sha256": sha(data), "urls": [dead]}]}
        )
    )
    with pytest.raises(FetchError) as err:
        fetch_model(manifest, "m", tmp_path / "models", retries=2, backoff=0.01)
    message = str(err.value)
    assert message.startswith("m: a.bin could not be fetched: ")
    assert "127.0.0.1 refused the connection" in message
    assert "HTTPConnectionPool" not in message  # not requests' page of text
