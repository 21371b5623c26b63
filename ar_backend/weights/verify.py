"""Is a model file the one the manifest lists? Hashed once per (path, size, mtime)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from ar_backend.weights.manifest import FileState, Manifest
from shared.places import find_places

CHUNK = 1 << 20

_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def manifest_path(configured: str) -> Path:
    """The manifest named in the config: relative paths from the working folder, else the
    one shipped with the app (the checkout's config/models.yaml, or the installed
    package's copy of it)."""
    path = Path(configured).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    places = find_places()
    return places.home / path if places.checkout else places.shipped(path.name)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, computed once for each (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        known = _cache.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _lock:
        _cache[key] = value
    return value


def check_file(models_dir: Path, manifest: Manifest, filename: str) -> FileState:
    """present (size and SHA-256 match), missing, corrupt (size or hash differs), or
    unverified (no hash published and the size matches, or not in the manifest)."""
    path = Path(models_dir) / filename
    if not path.is_file():
        return "missing"
    found = manifest.find(Path(filename).as_posix())
    if found is None:
        return "unverified"
    item = found[1]
    if path.stat().st_size != item.size:
        return "corrupt"
    if item.sha256 is None:
        return "unverified"
    return "present" if sha256_of(path) == item.sha256 else "corrupt"
