"""Bad control input gets a 4xx naming the field, and changes nothing."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.slow

CASES = [
    ("POST", "/camera/start", {"device_id": "zero"}, 400, "device_id"),
    ("POST", "/camera/start", {"device_id": -1}, 400, "device_id"),
    ("POST", "/camera/start", {"device_id": True}, 400, "device_id"),
    ("POST", "/camera/start", {"source": ""}, 400, "source"),
    ("POST", "/camera/start", {"source": 5}, 400, "source"),
    ("POST", "/camera/start", {"device_id": 1, "source": "demo"}, 400, "body"),
    ("POST", "/camera/start", {"colour": "red"}, 400, "colour"),
    ("POST", "/camera/start", "{nope", 400, "body"),
    ("POST", "/camera/start", {"source": "device:abc"}, 400, "source"),
    ("POST", "/camera/start", {"source": "device:²"}, 400, "source"),
    ("POST", "/camera/start", {"source": "url:file:///etc/passwd"}, 400, "source"),
    ("POST", "/camera/start", {"source": "concat:/etc/passwd|clip.mp4"}, 400, "source"),
    ("POST", "/camera/start", {"source": "/etc/passwd"}, 403, "source"),
    ("POST", "/camera/start", {"source": "../../outside.mp4"}, 403, "source"),
    ("POST", "/camera/start", {"source": "missing.mp4"}, 503, "source"),
    ("POST", "/record/start", {"file_name": 7}, 400, "file_name"),
    ("POST", "/api/camera/start", {"source": "x" * 3000}, 400, "source"),
    ("GET", "/snapshot.jpg", None, 503, None),
    ("GET", "/no/such/path", None, 404, None),
    ("DELETE", "/camera/start", None, 405, None),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.backend.conftest import start_backend, write_clip

    tmp = tmp_path_factory.mktemp("be")
    write_clip(tmp / "media" / "clip.mp4")
    proc = start_backend(tmp)
    yield proc
    proc.kill()


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), CASES)
def test_bad_input(server, method, path, body, status, field) -> None:
    kw = {"json": body} if isinstance(body, dict) else {}
    if isinstance(body, str):
        kw = {"data": body, "headers": {"Content-Type": "application/json"}}
    resp = requests.request(method, server.url + path, timeout=10, **kw)
    assert resp.status_code == status, resp.text
    data = resp.json()
    assert data["code"] == status and data["message"]
    if field:
        assert data["field"] == field, data
    assert requests.get(server.url + "/camera/status", timeout=5).json()["state"] == "stopped"


def test_recording_name_cannot_leave_its_folder(server) -> None:
    assert requests.post(server.url + "/camera/start", json={"source": "demo"}, timeout=10).ok
    try:
        for name in ("../evil.mp4", "/tmp/evil.mp4", "a/b.mp4", ".hidden.mp4"):
            resp = requests.post(server.url + "/record/start", json={"file_name": name}, timeout=10)
            assert resp.status_code == 403, (name, resp.text)
            assert resp.json()["field"] == "file_name"
        assert requests.get(server.url + "/status", timeout=5).json()["outputs"]["recording"] == {
            "active": False
        }
    finally:
        requests.post(server.url + "/camera/stop", timeout=10)
