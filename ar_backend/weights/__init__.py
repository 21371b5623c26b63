"""Model files: the manifest (config/models.yaml), verified downloads, and the check that
keeps a corrupt file from ever being loaded (``python -m ar_backend.weights``)."""

from __future__ import annotations

from ar_backend.weights.manifest import Manifest, ModelEntry, ModelFile, load_manifest
from ar_backend.weights.verify import check_file, manifest_path
from shared.places import command


def fetch_command(*names: str) -> str:
    """What a person runs to fetch these models: ``ar-weights fetch NAME`` when the app is
    installed, ``python -m ar_backend.weights fetch NAME`` in a checkout."""
    return " ".join([command("ar_backend.weights"), "fetch", *names])


__all__ = [
    "Manifest",
    "ModelEntry",
    "ModelFile",
    "check_file",
    "fetch_command",
    "load_manifest",
    "manifest_path",
]
