"""Why a face request could not be done. Plain domain errors: ``ar_backend/app.py`` maps each
to its HTTP status and the request field at fault (``map_errors``), in that one place."""

from __future__ import annotations

from typing import Any

from shared.messages import KeyedError, Message


class FaceError(KeyedError):
    """A bad face request; ``field``, when given, names the input at fault."""

    field: str | None = None

    def __init__(self, message: Message | str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class BadImage(FaceError):
    """Not an image we accept (empty, undecodable)."""


class ImageTooLarge(BadImage):
    """An image over face.max_upload_mb or face.max_side (a 413)."""


class NoFace(FaceError):
    """No face in the image (or not the one loaded before, for another engine)."""


class ManyFaces(FaceError):
    """Several faces and no ``face_index``: ``faces`` lists them so the user can pick."""

    def __init__(self, message: str, faces: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.faces = faces
        self.details = {"faces": faces}


class SourceTooSmall(FaceError):
    """The source face has too few pixels to swap from."""


class EngineUnavailable(FaceError):
    """The engine cannot run here (a missing model file, package or provider)."""


class NoSource(FaceError):
    """The swap needs a source face and none is loaded."""


class PathRefused(FaceError):
    """A path from a request that is outside the allowed folders (never read)."""


class FaceFileNotFound(FaceError):
    """A face image named in the allowed folders that is not there."""


class NoFrame(FaceError):
    """A face was to be picked in the camera's current frame, and no frame came."""
