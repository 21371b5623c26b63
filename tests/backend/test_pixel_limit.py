"""A picture's header must not decide memory (issue 25, item 2): a small file that declares a
huge picture, or a video whose frames are huge, is refused from its header before anything
is decoded, with a 413 naming ``media.max_megapixels``: in POST /media, as an image or video
source, in file jobs, and through the shared check backgrounds use."""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ar_backend.face.imaging.pixel_limit import (
    PixelLimit,
    SizeUnreadable,
    TooManyPixels,
    check_picture,
    check_video,
)
from ar_backend.jobs.queue import JobQueue
from ar_backend.jobs.render import run_job
from ar_backend.jobs.spec import JobFailed, JobSpec
from shared.messages import render
from tests.pixel_bombs import png_declaring, video_of_png
from tests.procs import STOP_POLL_S, wait_for

LIMIT = PixelLimit(40)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """9000x9000 px (81 megapixels) as a 10 kB PNG and as a video of three such frames."""
    folder = tmp_path_factory.mktemp("bombs")
    png = png_declaring(folder / "huge.png", 9000, 9000)
    return {"png": png, "mov": video_of_png(folder / "huge.mov", png)}


def _named_limit(body: dict[str, Any]) -> None:
    """A 413 whose message names the limit, its key and args beside it."""
    assert "media.max_megapixels" in body["message"], body
    assert "40 megapixels" in body["message"], body
    assert body["message"] == render(body["message_key"], body["message_args"])


def test_the_check_reads_the_header_and_names_the_limit(bombs: dict[str, Path]) -> None:
    assert bombs["png"].stat().st_size < 100_000
    with pytest.raises(TooManyPixels) as caught:
        check_picture(bombs["png"], LIMIT, name="huge.png", field="file")
    assert caught.value.field == "file"
    assert caught.value.keyed.key == "picture.too_many_pixels"
    assert str(caught.value).startswith("the picture is 9000x9000 px (81.0 megapixels)")
    assert "at most 40 megapixels" in str(caught.value)
    with pytest.raises(TooManyPixels, match=r"media\.max_megapixels"):
        check_picture(bombs["png"].read_bytes(), LIMIT)  # (the face endpoints' bytes)
    with pytest.raises(TooManyPixels, match="40 megapixels") as video:
        check_video(bombs["mov"], LIMIT, field="source")
    assert video.value.field == "source"
    assert check_picture(bombs["png"], PixelLimit(100)) == (9000, 9000)


def test_a_picture_past_pillows_own_guard_is_said_with_its_size(tmp_path: Path) -> None:
    """Pillow will not open a picture of more than 179 megapixels at all; its size is still
    read from the header (nothing decoded) and said, in bytes as from a file."""
    bomb = png_declaring(tmp_path / "bomb.png", 15000, 15000)  # 225 megapixels, 30 kB
    for source in (bomb, bomb.read_bytes()):
        with pytest.raises(TooManyPixels) as caught:
            check_picture(source, LIMIT, field="file")
        assert caught.value.keyed.key == "picture.too_many_pixels"
        assert str(caught.value).startswith("the picture is 15000x15000 px (225.0 megapixels)")


def test_a_size_within_the_limit_passes_and_an_unreadable_file_is_said(tmp_path: Path) -> None:
    picture = tmp_path / "ok.png"
    cv2.imwrite(str(picture), np.zeros((240, 320, 3), np.uint8))
    assert check_picture(picture, LIMIT) == (320, 240)
    from tests.backend.conftest import write_clip

    assert check_video(write_clip(tmp_path / "ok.mp4", frames=3), LIMIT) == (320, 240)
    (tmp_path / "text.png").write_text("not a picture")
    with pytest.raises(SizeUnreadable):
        check_picture(tmp_path / "text.png", LIMIT)
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(SizeUnreadable):
        check_video(tmp_path / "text.mp4", LIMIT)


def test_post_media_refuses_it_with_413_and_keeps_nothing(
    make_studio, media: Path, bombs: dict[str, Path]
) -> None:  # type: ignore[no-untyped-def]
    client, _ = make_studio()
    before = sorted(p.name for p in media.iterdir())
    for path in (bombs["png"], bombs["mov"]):
        resp = client.post(
            "/media",
            data={"file": (io.BytesIO(path.read_bytes()), path.name)},
            content_type="multipart/form-data",
        )
        body = resp.get_json()
        assert (resp.status_code, body["field"]) == (413, "file"), body
        _named_limit(body)
    assert sorted(p.name for p in media.iterdir()) == before  # nothing left, not even a temp


def test_an_image_or_video_source_over_the_limit_is_refused_with_413(
    make_studio, media: Path, bombs: dict[str, Path]
) -> None:  # type: ignore[no-untyped-def]
    client, studio = make_studio()
    for path in bombs.values():
        (media / path.name).write_bytes(path.read_bytes())
    for spec in ("image:huge.png", "file:huge.mov"):
        resp = client.post("/camera/start", json={"source": spec})
        body = resp.get_json()
        assert (resp.status_code, body["field"]) == (413, "source"), body
        _named_limit(body)
        assert studio.camera_status().state == "stopped"


def test_a_smaller_limit_is_taken_from_the_config(make_studio, media: Path) -> None:  # type: ignore[no-untyped-def]
    client, _ = make_studio(media={"max_megapixels": 0.05})  # 50,000 px: 320x240 is over
    resp = client.post("/camera/start", json={"source": "file:clip.mp4"})
    assert resp.status_code == 413, resp.get_json()
    assert "0.05 megapixels" in resp.get_json()["message"]


def test_a_job_on_it_is_refused_at_submit_and_by_the_worker(
    make_studio, media: Path, tmp_path: Path, bombs: dict[str, Path], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(JobQueue, "_dispatch", lambda self: None)
    from ar_backend.face import samples

    cv2.imwrite(str(media / "face.png"), samples.tom_hanks())
    for path in bombs.values():
        (media / path.name).write_bytes(path.read_bytes())
    jobs = {"data_dir": str(tmp_path / "data"), "outputs_dir": str(tmp_path / "out")}
    client, _ = make_studio(jobs=jobs)
    for name in ("huge.png", "huge.mov"):
        resp = client.post("/jobs", json={"input": name, "face": "face.png"})
        body = resp.get_json()
        assert (resp.status_code, body["field"]) == (413, "input"), body
        _named_limit(body)
    assert client.get("/jobs").get_json()["jobs"] == []
    # a file replaced after it was queued: the worker refuses it before decoding
    (tmp_path / "out").mkdir()
    spec = JobSpec(
        input_path=media / "huge.png",
        output_path=tmp_path / "out" / "x.png",
        face_path=media / "face.png",
    )
    with pytest.raises(JobFailed, match=r"media\.max_megapixels"):
        run_job(spec, make_studio()[1].config.face, lambda p: None, lambda: False)


@pytest.fixture
def served(media: Path) -> Iterator[str]:
    """The media folder over HTTP on a free port (a network stream source's stand-in)."""
    handler = functools.partial(_QuietFiles, directory=str(media))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": STOP_POLL_S},
        name="files",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_network_stream_over_the_limit_is_refused_before_a_frame_is_decoded(
    make_studio, served: str
) -> None:  # type: ignore[no-untyped-def]
    """A URL source's frame size is what the stream declares on opening: over the limit it
    is said in the camera's status (the stream opens on the capture thread) and no frame is
    read; one within the limit plays."""
    client, studio = make_studio(media={"max_megapixels": 0.05})  # 320x240 is over
    resp = client.post("/camera/start", json={"source": served + "/clip.mp4"})
    assert resp.status_code == 200, resp.get_json()
    status = wait_for(
        lambda: (st := studio.camera_status()).error and "megapixels" in st.error and st,
        timeout=20,
    )
    assert status.state == "reconnecting" and status.frames_in == 0, status
    assert "the video's frames are 320x240 px" in status.error
    assert "at most 0.05 megapixels are taken (media.max_megapixels)" in status.error
    client.post("/camera/stop")
    client, studio = make_studio()
    assert client.post("/camera/start", json={"source": served + "/clip.mp4"}).status_code == 200
    wait_for(lambda: studio.camera_status().frames_in > 0, timeout=20)


@pytest.mark.slow
def test_a_real_backend_refuses_the_30000_px_png_without_taking_memory(
    backend, media: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The probe's case: a small PNG declaring 30000x30000 px (2.7 GB as colour) took the
    backend to 5.7-8.2 GB for 16-28 s as an image source. Now: 413 naming the limit, at once,
    in POST /media and /camera/start, and the process stays small."""
    import psutil
    import requests

    bomb = png_declaring(tmp_path / "bomb.png", 30000, 30000)
    assert bomb.stat().st_size < 200_000
    be = backend()
    resp = requests.post(
        be.url + "/media",
        files={"file": ("bomb.png", bomb.read_bytes(), "image/png")},
        timeout=30,
    )
    body = resp.json()
    assert (resp.status_code, body["field"]) == (413, "file"), body
    assert body["message_key"] == "picture.too_many_pixels"  # its size said, not "more than"
    assert body["message"].startswith("the picture is 30000x30000 px (900.0 megapixels)")
    _named_limit(body)
    assert not (media / "bomb.png").exists()
    (media / "bomb.png").write_bytes(bomb.read_bytes())  # put there by hand
    resp = requests.post(be.url + "/camera/start", json={"source": "image:bomb.png"}, timeout=30)
    assert (resp.status_code, resp.json()["field"]) == (413, "source"), resp.json()
    _named_limit(resp.json())
    rss_mb = psutil.Process(be.proc.pid).memory_info().rss / 1e6
    assert rss_mb < 1500, f"the backend holds {rss_mb:.0f} MB"
    camera = requests.get(be.url + "/camera/status", timeout=5).json()
    assert "bomb" not in str(camera["source"])  # (the demo it started with plays on)
