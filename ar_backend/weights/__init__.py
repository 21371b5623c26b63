"""Model files: the manifest (config/models.yaml), verified downloads, and the check that
keeps a corrupt file from ever being loaded (``python -m ar_backend.weights``)."""

from __future__ import annotations

from ar_backend.weights.manifest import Manifest, ModelEntry, ModelFile, load_manifest
from ar_backend.weights.verify import check_file, manifest_path

__all__ = ["Manifest", "ModelEntry", "ModelFile", "check_file", "load_manifest", "manifest_path"]
