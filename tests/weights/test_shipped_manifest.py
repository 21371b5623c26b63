"""The manifest that ships (config/models.yaml) against what reads it: every file the engines
and the enhancer open by default is listed with its size and hash, and what a user reads in
the Models dialog (licence, what uses it) is whole."""

from __future__ import annotations

from pathlib import Path

from ar_backend.config import FaceConfig
from ar_backend.weights.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(ROOT / "config" / "models.yaml")


def test_every_default_model_file_is_listed_with_its_size_and_hash() -> None:
    cfg = FaceConfig()
    ins, hyper = cfg.inswapper, cfg.hyperswap
    wanted = {
        ins.model,
        f"{ins.analysis}/{ins.detector}",
        f"{ins.analysis}/{ins.recognizer}",
        hyper.model,
        f"{hyper.analysis}/{hyper.detector}",
        f"{hyper.analysis}/{hyper.recognizer}",
        *cfg.enhancer.models.values(),
    }
    for path in sorted(wanted):
        found = MANIFEST.find(path)
        assert found is not None, f"{path} is not in config/models.yaml"
        _name, item = found
        assert item.size > 1_000_000 and item.sha256 and item.urls, path
        assert all(url.startswith("https://") for url in item.urls), "TLS only"


def test_what_a_user_reads_is_whole() -> None:
    for name, model in MANIFEST.models.items():
        # a used_by written as a YAML flow list is split at its commas: "a (b, c)" -> "a (b", "c)"
        for use in model.used_by:
            assert use.count("(") == use.count(")"), f"{name}: used_by cut at a comma: {use!r}"
        assert model.licence.strip(), name
        restricted = any(w in model.licence.lower() for w in ("non-commercial", "not commercial"))
        if name.startswith(("inswapper", "buffalo", "gpen", "hyperswap")):
            assert restricted or "research" in model.licence.lower(), name


def test_every_mediapipe_runner_file_comes_out_of_the_pinned_wheel() -> None:
    """The detectors' and landmarkers' files are listed, each a member of the pinned
    mediapipe wheel with its own size and hash, and Apache-2.0."""
    from ar_backend.face.detect import (
        FACE_DETECTORS,
        FACE_LANDMARKERS,
        HAND_DETECTORS,
        HAND_LANDMARKERS,
    )

    wanted = {
        path
        for registry in (FACE_DETECTORS, FACE_LANDMARKERS, HAND_DETECTORS, HAND_LANDMARKERS)
        for _name, kind in registry.items()
        for path in kind.files
    }
    assert len(wanted) >= 7
    for path in sorted(wanted):
        found = MANIFEST.find(path)
        assert found is not None, f"{path} is not in config/models.yaml"
        name, item = found
        assert item.sha256 and item.size > 100_000 and item.wheel is not None, path
        pin = MANIFEST.wheels[item.wheel.wheel]
        assert pin.requirement == "mediapipe==0.10.21" and pin.sha256
        assert item.wheel.member.startswith("mediapipe/modules/"), path
        assert "Apache-2.0" in MANIFEST.models[name].licence


def test_the_buffalo_archive_is_pinned_as_public_projects_pin_it() -> None:
    """Both members name one archive, with the size public pins pair with its SHA-256
    (288,621,354 bytes; a wrong size made the archive fallback refuse the genuine file)."""
    files = MANIFEST.models["buffalo_l"].files
    archives = {
        (f.archive.size, f.archive.sha256, tuple(f.archive.urls)) for f in files if f.archive
    }
    assert len(archives) == 1 and len(files) == 2
    size, sha256, _urls = archives.pop()
    assert sha256 == "80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f"
    assert size == 288_621_354


def test_an_edited_manifest_is_read_as_it_now_is(tmp_path: Path) -> None:
    """Reading the manifest is cheap enough for every status answer, and never stale: an
    edit (here a hash changed in place, the file's size the same) is seen by the next read,
    and what one reader changes in its copy no other reader sees."""
    path = tmp_path / "models.yaml"
    text = (ROOT / "config" / "models.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_manifest(path)
    item = first.models["buffalo_l"].files[0]
    old = item.sha256
    assert old is not None and text.count(old) == 1
    new = "ab" * 32
    item.urls.clear()  # one reader's change stays in its copy
    again = load_manifest(path)
    assert again.models["buffalo_l"].files[0].urls
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert load_manifest(path).models["buffalo_l"].files[0].sha256 == new
    path.write_text(text, encoding="utf-8")
    assert load_manifest(path).models["buffalo_l"].files[0].sha256 == old
