"""Face errors are plain domain errors: the app maps each to its status and field, in one
table, and adds the route hints the domain messages leave out."""

from __future__ import annotations

import inspect

import pytest

from ar_backend.config import FaceConfig
from ar_backend.face import errors
from ar_backend.face.errors import FaceError, NoSource
from ar_backend.face.live.session import FaceSwap

FACE_ERRORS = [
    cls
    for _name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, FaceError) and cls.__module__ == errors.__name__
]


def test_face_errors_know_no_http_and_each_has_its_answer(make_studio) -> None:
    client, _studio = make_studio()
    handlers = client.application.error_handler_spec[None][None]
    for cls in FACE_ERRORS:
        assert not hasattr(cls, "status"), cls
        assert cls in handlers, f"{cls.__name__} is not in app.py's map_errors table"


def test_no_source_message_names_no_route_and_the_api_adds_it(make_studio) -> None:
    with pytest.raises(NoSource) as err:
        FaceSwap(FaceConfig()).start()
    assert str(err.value) == "load a face first"
    client, _studio = make_studio(pipeline={"processors": ["face_swap"]})
    resp = client.post("/face/start")
    assert resp.status_code == 409
    assert resp.get_json()["message"] == "load a face first (POST /face/load)"
