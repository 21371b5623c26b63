"""Bad control input gets a 4xx naming the field, and changes nothing.

In process (``create_app`` around a real Studio, Flask's test client): the table is about
what the app answers, not about the server in front of it, so it runs in the fast loop.
"""

from __future__ import annotations

import pytest

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


@pytest.fixture
def client(make_studio):  # type: ignore[no-untyped-def]
    return make_studio()[0]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), CASES)
def test_bad_input(client, method, path, body, status, field) -> None:
    kw = {"json": body} if isinstance(body, dict) else {}
    if isinstance(body, str):
        kw = {"data": body, "content_type": "application/json"}
    resp = client.open(path, method=method, **kw)
    assert resp.status_code == status, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["code"] == status and data["message"]
    if field:
        assert data["field"] == field, data
    assert client.get("/camera/status").get_json()["state"] == "stopped"


def test_recording_name_cannot_leave_its_folder(client) -> None:
    assert client.post("/camera/start", json={"source": "demo"}).status_code == 200
    for name in ("../evil.mp4", "/tmp/evil.mp4", "a/b.mp4", ".hidden.mp4"):
        resp = client.post("/record/start", json={"file_name": name})
        assert resp.status_code == 403, (name, resp.get_json())
        assert resp.get_json()["field"] == "file_name"
    assert client.get("/status").get_json()["outputs"]["recording"] == {"active": False}
    assert client.post("/camera/stop").status_code == 200
