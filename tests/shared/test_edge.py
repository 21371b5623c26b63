"""The edge every service shares: strict JSON bodies, JSON-only writes, Host and Origin checks.

Each case is a request the probe of the running services sent; the monitor is the app under
test (the backend builds its app with the same ``shared.api.new_app``).
"""

from __future__ import annotations

import json

import pytest

from shared import strictjson
from shared.crosssite import HostGuard, host_name

BEAT = "/api/ar/nodes/n5/heartbeat"


def _strict(text: str):
    def _raise(name: str):
        raise AssertionError(f"{name} in a listing")

    return json.loads(text, parse_constant=_raise)


@pytest.fixture
def mon_client(make_monitor):
    app, mon = make_monitor()
    return app.test_client(), mon


def _post(client, path: str, data: bytes, **headers):
    headers.setdefault("Content-Type", "application/json")
    return client.post(path, data=data, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        b'\xef\xbb\xbf{"status":"running"}',  # UTF-8 with a byte-order mark
        '{"status":"running"}'.encode("utf-16"),
        '{"status":"running"}'.encode("utf-16-le"),
        '{"status":"running"}'.encode("utf-32"),
        b'{"status":"caf\xe9"}',  # Latin-1
    ],
)
def test_a_body_that_is_not_utf8_is_refused_and_the_listing_stays_readable(mon_client, body):
    client, mon = mon_client
    resp = _post(client, BEAT, body)
    assert resp.status_code == 400, resp.json
    assert resp.json["field"] == "body"
    assert mon.store.get_node("n5") is None  # nothing stored
    listing = client.get("/api/ar/nodes")
    assert listing.status_code == 200
    _strict(listing.get_data(as_text=True))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"resources": {"memory_mb": 1e400}}', "resources.memory_mb"),
        ('{"uptime": -1e400}', "uptime"),
        ('{"gui": {"fps": [1, 2, 1e999]}}', "gui.fps[2]"),
        ('{"uptime": NaN}', "body"),
        ('{"uptime": Infinity}', "body"),
        ('{"threads": 99999999999999999999999}', "threads"),
        ('{"status": "run\\u0000ning"}', "status"),
        ('{"gui": {"na\\u0000me": 1}}', "gui"),
    ],
)
def test_numbers_that_do_not_fit_and_nul_characters_are_refused(mon_client, body, field):
    client, mon = mon_client
    resp = _post(client, BEAT, body.encode())
    assert resp.status_code == 400, resp.json
    assert resp.json["field"] == field
    assert mon.store.get_node("n5") is None


def test_deep_nesting_is_a_400_not_a_crash(mon_client):
    client, mon = mon_client
    for depth in (40, 30000):
        resp = _post(client, BEAT, b"[" * depth + b"]" * depth)
        assert resp.status_code == 400
        assert "deeper" in resp.json["message"]
    nested = '{"gui": ' * 40 + "1" + "}" * 40
    assert _post(client, BEAT, nested.encode()).status_code == 400
    assert mon.store.get_node("n5") is None


def test_a_body_sent_as_text_plain_is_refused_with_415(mon_client):
    """A web page can send text/plain without a CORS preflight; JSON needs one."""
    client, mon = mon_client
    body = b'{"status": "running"}'
    resp = client.post(BEAT, data=body, headers={"Content-Type": "text/plain"})
    assert resp.status_code == 415
    assert resp.json["field"] == "Content-Type"
    form = client.post(BEAT, data={"status": "running"})  # a form post
    assert form.status_code == 415
    assert mon.store.get_node("n5") is None
    assert _post(client, BEAT, body).status_code == 200


def test_a_foreign_page_cannot_change_anything_even_with_keys_off(mon_client):
    client, mon = mon_client
    assert _post(client, BEAT, b"{}").status_code == 200
    evil = {"Origin": "http://evil.example"}
    for path in ("/api/ar/nodes/n5/pause", "/api/ar/nodes/n5/resume", BEAT):
        resp = client.post(path, data=b"", headers={**evil, "Content-Type": "text/plain"})
        assert resp.status_code == 403, path
        assert resp.json["field"] == "Origin"
    assert client.post("/api/ar/nodes/n5/pause", headers={"Origin": "null"}).status_code == 403
    assert not mon.store.get_node("n5")["paused"]
    # reads stay readable (the browser keeps their answer from the page without CORS)
    assert client.get("/api/ar/nodes", headers=evil).status_code == 200
    # the monitor's own page (same origin) and clients without Origin (curl) may write
    own = {"Origin": "http://localhost"}
    assert client.post("/api/ar/nodes/n5/pause", headers=own).status_code == 200
    assert client.post("/api/ar/nodes/n5/resume").status_code == 200


def test_a_listed_cors_origin_may_write(make_monitor):
    app, _ = make_monitor(cors={"enabled": True, "origins": ["http://studio.local:8080"]})
    client = app.test_client()
    headers = {"Origin": "http://studio.local:8080"}
    assert client.post("/api/ar/nodes/n5/pause", headers=headers).status_code == 404  # no node
    assert client.post("/api/ar/nodes/n5/pause", headers={"Origin": "http://x"}).status_code == 403


def test_a_rebound_host_name_is_refused(mon_client):
    """DNS rebinding: the attacker's name resolves to 127.0.0.1; the Host header keeps it."""
    client, mon = mon_client
    resp = client.get("/api/ar/nodes", headers={"Host": "evil.example:5500"})
    assert resp.status_code == 400
    assert resp.json["field"] == "Host"
    resp = client.post(BEAT, json={}, headers={"Host": "evil.example"})
    assert resp.status_code == 400
    assert mon.store.get_node("n5") is None
    for host in ("localhost:5500", "127.0.0.1:5500", "[::1]:5500", "192.168.1.20:5500"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200, host


def test_configured_names_are_served(make_monitor):
    app, _ = make_monitor(security={"allowed_hosts": ["studio.example.org"]})
    client = app.test_client()
    assert client.get("/api/health", headers={"Host": "studio.example.org"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "other.example.org"}).status_code == 400


def test_host_names_are_compared_without_port_and_case():
    guard = HostGuard(["Studio.Example.org."], [])
    assert host_name("STUDIO.example.org:443") == "studio.example.org"
    assert guard.host_problem("studio.example.org.:8443") is None
    assert guard.host_problem("[fe80::1]:5500") is None
    assert guard.host_problem("localhost") is None
    assert guard.host_problem("studio.example.org.evil.com") is not None


def test_strict_json_accepts_what_json_allows():
    value = strictjson.loads('{"a": [1, 2.5, -3e10, "é", null, true], "b": {"c": ""}}')
    assert value["a"][3] == "é"
    assert strictjson.loads("9223372036854775807") == 2**63 - 1
    with pytest.raises(strictjson.BadJson):
        strictjson.loads("9223372036854775808")
