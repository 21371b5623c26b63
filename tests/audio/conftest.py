"""The backend's in-process app (``make_studio``) for the audio API tests."""

from tests.backend.conftest import make_studio, media  # noqa: F401  (fixtures)
