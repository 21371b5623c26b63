"""Sources named through the API: files stay in the media folders, URLs are network streams.

In process (create_app around a real Studio): every refused SPEC is a 4xx naming ``source``,
decided before anything is opened, and the running stream is left as it was.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ar_backend import studio as studio_module
from ar_backend.sources import BadSpec, SourceSpec, parse_spec

SECRET = "secret.png"  # written beside (outside) the media folder


@pytest.fixture
def outside(tmp_path: Path, media: Path) -> Path:
    secret = tmp_path / SECRET
    cv2.imwrite(str(secret), np.full((48, 64, 3), 200, np.uint8))
    cv2.imwrite(str(media / "inside.png"), np.full((48, 64, 3), 90, np.uint8))
    (media / "link.png").symlink_to(secret)  # a link out of the media folder
    (media / "loop1").symlink_to(media / "loop2")
    (media / "loop2").symlink_to(media / "loop1")
    return secret


@pytest.fixture
def app(make_studio, outside: Path, monkeypatch: pytest.MonkeyPatch):
    client, _studio = make_studio()
    opened: list[SourceSpec] = []
    real = studio_module.make_source

    def spy(spec, cfg, limit=None):  # type: ignore[no-untyped-def]
        opened.append(spec)
        return real(spec, cfg, limit)

    monkeypatch.setattr(studio_module, "make_source", spy)
    client.opened = opened
    return client


def refused_specs(secret: Path) -> list[str]:
    s = str(secret)
    return [
        # the probe's: url: with a file URL or a bare path
        f"url:file://{s}",
        f"url:file:{s}",
        f"url:{s}",
        "url:/abs/path.mp4",
        "url:clip.mp4",
        # any letter case, any prefix
        f"URL:FILE://{s}",
        f"Url:File:{s}",
        f"file://{s}",
        f"FILE://{s}",
        f"file:file://{s}",
        f"image:file://{s}",
        f"file:concat:{s}|{s}",
        # FFmpeg's own protocols, bare or behind url:
        f"concat:{s}|clip.mp4",
        f"url:concat:{s}|clip.mp4",
        f"subfile,,start,0,end,100,,:{s}",
        f"url:subfile,,start,0,end,100,,:{s}",
        "data:image/png;base64,iVBORw0KGgo=",
        "url:data:image/png;base64,iVBORw0KGgo=",
        "pipe:0",
        "gopher://example.com/",
        "url:ftp://example.com/a.mp4",
        # network schemes without a host, or with a malformed one
        "url:http:///etc/passwd",
        "url:http:/etc/passwd",
        "rtsp:relative",
        "http://",
        "http://ho st/a",
        "http://host|concat:x/a",
        "http://example.com:99999/a",
        # unicode digits: str.isdigit() is True, int() fails (or reads another script)
        "device:²",
        "²",
        "device:\u0661",  # ARABIC-INDIC DIGIT ONE
        "device:",
        "device:100",
        # control and format characters
        "clip.mp4\u0000.png",
        "clip\n.mp4",
        "clip\u202e4pm.png",
        "http://example.com/\u0000",
        "clip\ud800.mp4",
        # ... at either end: refused as the README says, never trimmed away
        "demo\n",
        "\tdemo",
        "clip.mp4\r",
        "\u202eclip.mp4",
        "demo\u0085",
        # names the OS cannot resolve
        "loop1",
        "a" * 300 + ".mp4",
    ]


def test_refused_specs_are_400_naming_source_and_open_nothing(app, outside: Path) -> None:
    assert app.post("/camera/start", json={"source": "demo"}).status_code == 200
    before = app.get("/camera/status").get_json()
    assert before["state"] == "running"
    app.opened.clear()
    for spec in refused_specs(outside):
        resp = app.post("/camera/start", json={"source": spec})
        assert resp.status_code == 400, (spec, resp.get_json())
        body = resp.get_json()
        # U+0000 may also be refused at the JSON edge (field "body"); either way a 400
        assert body["field"] == "source" or "\u0000" in spec, (spec, body)
        assert app.opened == [], (spec, app.opened)
        after = app.get("/camera/status").get_json()
        assert (after["state"], after["spec"]) == ("running", before["spec"]), spec


def test_files_outside_the_media_folders_are_refused(app, outside: Path, media: Path) -> None:
    for spec in (
        str(outside),
        f"file:{outside}",
        f"FILE:{outside}",
        f"image:{outside}",
        f"../{SECRET}",
        f"image:../{SECRET}",
        f"{media}/../{SECRET}",
        "link.png",  # a symlink in the media folder that points out of it
        f"file:{media}/link.png",
        "/etc/passwd",
    ):
        resp = app.post("/camera/start", json={"source": spec})
        assert resp.status_code == 403, (spec, resp.get_json())
        assert resp.get_json()["field"] == "source"
        assert app.get("/snapshot.jpg").status_code == 503  # nothing is served
    assert app.opened == []


def test_home_is_not_expanded_and_inside_files_still_play(app, media: Path) -> None:
    resp = app.post("/camera/start", json={"source": "~/clip.mp4"})  # media/~/clip.mp4
    assert resp.status_code == 503 and resp.get_json()["field"] == "source"
    assert str(media) in app.opened[-1].target  # looked for inside the media folder
    resp = app.post("/camera/start", json={"source": "~nosuchuser/clip.mp4"})
    assert resp.status_code == 503, resp.get_json()
    for spec in ("inside.png", f"image:{media / 'inside.png'}", "clip.mp4", "file:clip.mp4"):
        resp = app.post("/camera/start", json={"source": spec})
        assert resp.status_code == 200, (spec, resp.get_json())


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("rtsp://cam.local/stream", "rtsp://cam.local/stream"),
        ("RTSP://Cam.local/Stream", "rtsp://Cam.local/Stream"),
        ("url:HTTPS://127.0.0.1:8443/a?b=1", "https://127.0.0.1:8443/a?b=1"),
        ("url:http://[::1]:5501/video_feed", "http://[::1]:5501/video_feed"),
        ("udp://@239.0.0.1:1234", "udp://@239.0.0.1:1234"),
        ("rtmp://live.example.com/app/key", "rtmp://live.example.com/app/key"),
    ],
)
def test_network_urls_pass(spec: str, url: str) -> None:
    assert parse_spec(spec) == SourceSpec("url", url)


@pytest.mark.parametrize("spec", ["clip.mp4\u0000.png", "device:²", "²", "url:file:///x.png"])
def test_parse_spec_refuses_before_any_path_is_made(spec: str) -> None:
    with pytest.raises(BadSpec):
        parse_spec(spec)
