"""Why a face request could not be done; each names the field at fault for the API."""

from __future__ import annotations

from typing import Any


class FaceError(Exception):
    status = 400
    field: str | None = None

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class BadImage(FaceError):
    """Not an image we accept (undecodable, too large)."""

    status = 400
    field = "image"


class NoFace(FaceError):
    status = 422
    field = "image"


class ManyFaces(FaceError):
    """Several faces and no ``face_index``: the answer lists them so the user can pick."""

    status = 422
    field = "face_index"

    def __init__(self, message: str, faces: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.faces = faces
        self.details = {"faces": faces}


class SourceTooSmall(FaceError):
    status = 422
    field = "image"


class EngineUnavailable(FaceError):
    """The engine cannot run here (a missing model file, package or provider)."""

    status = 503
    field = "engine"


class NoSource(FaceError):
    status = 409
    field = None


class PathRefused(FaceError):
    """A path from a request that is outside the allowed folders (never read)."""

    status = 400
    field = "model_path"


class NotFound(FaceError):
    status = 404
    field = "model_path"
