"""The backend's in-process app (``make_studio``) for the face API tests."""

from tests.backend.conftest import make_studio, media  # noqa: F401  (fixtures)
