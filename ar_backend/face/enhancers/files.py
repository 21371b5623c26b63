"""An enhancer's model file: where it is (``face.enhancer.models`` in ``face.models_dir``),
and why it cannot be used: not installed, missing, or not the file the model manifest
(``face.models_manifest``) lists (its size or SHA-256 differs: never opened). Nothing is
downloaded here; the reasons say how to fetch a verified copy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ar_backend.config import FaceConfig, resolve_dir
from ar_backend.weights import fetch_command
from ar_backend.weights.manifest import ManifestError, load_manifest
from ar_backend.weights.verify import check_file, manifest_path


def model_path(cfg: FaceConfig, name: str) -> Path | None:
    """The file enhancer ``name`` runs (None when face.enhancer.models has no entry)."""
    file = cfg.enhancer.models.get(name)
    return None if file is None else resolve_dir(cfg.models_dir) / file


def _relative(cfg: FaceConfig, path: Path) -> str | None:
    """``path`` relative to the models folder, as the manifest lists files (None outside)."""
    try:
        return path.relative_to(resolve_dir(cfg.models_dir)).as_posix()
    except ValueError:
        return None


def _fetch_name(cfg: FaceConfig, path: Path, name: str) -> str:
    """The manifest's model name for ``path`` (what ``weights fetch`` takes), else ``name``."""
    manifest_file = manifest_path(cfg.models_manifest)
    rel = _relative(cfg, path)
    if rel is None or not manifest_file.is_file():
        return name
    try:
        found = load_manifest(manifest_file).find(rel)
    except ManifestError:
        return name
    return found[0] if found else name


def _corrupt(cfg: FaceConfig, path: Path) -> str | None:
    """Why ``path`` is not the manifest's file (hashed once per file version), or None.
    No manifest, or a file it does not list: nothing to check against."""
    manifest_file = manifest_path(cfg.models_manifest)
    rel = _relative(cfg, path)
    if rel is None or not manifest_file.is_file():
        return None
    try:
        manifest = load_manifest(manifest_file)
    except ManifestError as exc:
        return str(exc)
    if check_file(resolve_dir(cfg.models_dir), manifest, rel) != "corrupt":
        return None
    found = manifest.find(rel)
    return (
        f"{path} is corrupt (its size or SHA-256 differs from {manifest_file}; fetch it "
        f"again: {fetch_command(found[0] if found else '?')})"
    )


def check(cfg: FaceConfig, name: str) -> str | None:
    """Why enhancer ``name`` cannot run here, cheaply (a file's hash is computed once per
    version of it); None when it can."""
    path = model_path(cfg, name)
    if path is None:
        return f"face.enhancer.models names no file for {name}"
    reasons = []
    if importlib.util.find_spec("onnxruntime") is None:
        reasons.append(
            "onnxruntime is not installed (pip install onnxruntime, or onnxruntime-gpu for CUDA)"
        )
    if not path.is_file():
        reasons.append(
            f"missing model file {path}; fetch it with: "
            f"{fetch_command(_fetch_name(cfg, path, name))}"
        )
    else:
        corrupt = _corrupt(cfg, path)
        if corrupt:
            reasons.append(corrupt)
    return "; ".join(reasons) or None
