"""File jobs through a real backend process (issue 15): a video job ends done and downloads,
a cancel halfway leaves no file and the next job runs, a kill -9 of the backend leaves the job
interrupted (retry completes it), a worker that dies fails its job and the next one runs, a
picture job, the bad-input table (status, field, nothing changed), and the queue in /status
and in the heartbeats a real monitor receives."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil
import pytest
import requests

from ar_backend.face import samples
from shared.wire.backend import JobListOut, JobOut, StatusOut
from tests.backend import conftest as backend_fixtures
from tests.jobs.clip import decode_audio, decode_frames, make_clip, peak_hz
from tests.procs import ServiceProcess, wait_for

# the backend's fixtures, for this folder (tests/jobs has no conftest of its own)
media = backend_fixtures.media
backend_config = backend_fixtures.backend_config
backend = backend_fixtures.backend

pytestmark = pytest.mark.slow

LONG_S = 6.0  # seconds of the clip a test cancels or kills half way (150 frames)


@pytest.fixture
def folders(tmp_path: Path, media: Path) -> dict[str, Path]:
    """The media folder with ``face.mp4`` (3 s, a face, a 440 Hz tone), ``long.mp4``,
    ``astro.png`` and ``hanks.png``; the sources folder with ``tom.png``."""
    make_clip(media / "face.mp4", seconds=3.0)
    make_clip(media / "long.mp4", seconds=LONG_S, tone_hz=330.0)
    cv2.imwrite(str(media / "astro.png"), samples.astronaut())
    cv2.imwrite(str(media / "hanks.png"), samples.tom_hanks())
    sources = tmp_path / "faces"
    sources.mkdir()
    cv2.imwrite(str(sources / "tom.png"), samples.tom_hanks())
    return {
        "media": media,
        "sources": sources,
        "outputs": tmp_path / "outputs",
        "data": tmp_path / "data",
    }


@pytest.fixture
def start(backend, backend_config, folders: dict[str, Path]) -> Callable[..., ServiceProcess]:  # type: ignore[no-untyped-def]
    def _start(**sections: Any) -> ServiceProcess:
        jobs = {"data_dir": str(folders["data"]), "outputs_dir": str(folders["outputs"])}
        cfg = backend_config(
            face={"sources_dir": str(folders["sources"])},
            jobs={**jobs, **sections.pop("jobs", {})},
            **sections,
        )
        return backend("--no-autostart", config=cfg)

    return _start


def submit(be: ServiceProcess, **body: Any) -> dict[str, Any]:
    resp = requests.post(be.url + "/jobs", json=body, timeout=10)
    assert resp.status_code == 202, resp.text
    return JobOut.model_validate(resp.json()).model_dump()


def job(be: ServiceProcess, job_id: str) -> dict[str, Any]:
    resp = requests.get(f"{be.url}/jobs/{job_id}", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def ends(be: ServiceProcess, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """The job once it is neither queued nor running."""
    return wait_for(
        lambda: (j := job(be, job_id))["state"] not in ("queued", "running") and j,
        timeout=timeout,
        interval=0.2,
    )


def running_at(be: ServiceProcess, job_id: str, share: float) -> dict[str, Any]:
    """The job once it runs and has done ``share`` of its frames."""

    def far_enough() -> dict[str, Any] | None:
        j = job(be, job_id)
        assert j["state"] in ("queued", "running"), j
        done = j["progress"]["share"] or 0.0
        return j if j["state"] == "running" and done >= share else None

    return wait_for(far_enough, timeout=90, interval=0.1)


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.part")) if folder.is_dir() else []


def workers_of(be: ServiceProcess) -> list[psutil.Process]:
    """The backend's job worker processes (multiprocessing's spawn children)."""
    assert be.proc is not None
    found = []
    for child in psutil.Process(be.proc.pid).children():
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_a_video_job_ends_done_and_its_file_downloads(  # type: ignore[no-untyped-def]
    start, spawn, folders: dict[str, Path], tmp_path: Path
) -> None:
    mon = spawn(
        "yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks", "--workers", "1"]
    )
    be = start(
        monitor={"enabled": True, "url": mon.url, "report_interval": 0.5},
        camera={"fps": 15},
    )
    live = requests.post(be.url + "/camera/start", json={"source": "demo"}, timeout=10)
    assert live.status_code == 200, live.text
    first = submit(be, input="face.mp4", face="tom.png", quality=23)
    assert first["state"] == "queued" and first["output"] == "face-swapped.mp4"
    # while it runs, /status and the heartbeats say the backend is rendering, not stuck
    running = running_at(be, first["id"], 0.05)
    (worker,) = workers_of(be)
    assert be.proc is not None
    assert worker.nice() == min(19, psutil.Process(be.proc.pid).nice() + 10)  # jobs.nice
    time.sleep(1.0)  # the live path keeps its rate while the job renders beside it
    camera = requests.get(be.url + "/camera/status", timeout=5).json()
    assert camera["state"] == "running" and camera["fps_out"] >= 10, camera
    status = StatusOut.model_validate(requests.get(be.url + "/status", timeout=5).json())
    assert status.jobs is not None and status.jobs.running == 1
    assert status.jobs.current is not None and status.jobs.current.id == first["id"]

    def beat_jobs() -> dict[str, Any] | None:
        node = requests.get(mon.url + "/api/ar/nodes/ar-backend", timeout=5).json()
        jobs = (node.get("last_payload") or {}).get("jobs")
        return jobs if jobs and jobs.get("current") else None

    beat = wait_for(beat_jobs, timeout=30)
    assert beat["running"] == 1 and beat["current"]["id"] == first["id"]
    assert 0.0 <= beat["current"]["share"] <= 1.0
    assert running["started_at"] is not None

    done = ends(be, first["id"])
    assert done["state"] == "done", done
    assert done["audio"] == "copied" and done["error"] is None
    out = folders["outputs"] / "face-swapped.mp4"
    assert done["output_path"] == str(out) and out.is_file()
    progress = done["progress"]
    assert progress["frames_done"] == progress["frames_total"] == 75
    assert progress["share"] == 1.0 and progress["swapped_share"] > 0.8
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]
    resp = requests.get(f"{be.url}/jobs/{first['id']}/output", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "video/mp4"
    assert resp.headers["Content-Disposition"] == "attachment; filename=face-swapped.mp4"
    download = tmp_path / "download.mp4"
    download.write_bytes(resp.content)
    assert len(decode_frames(download)) == 75
    sound, rate = decode_audio(download)
    assert abs(peak_hz(sound, rate) - 440.0) < 5  # the input's track, copied
    assert partials(folders["outputs"]) == []
    body = JobListOut.model_validate(requests.get(be.url + "/jobs", timeout=5).json())
    assert body.counts.done == 1 and body.counts.running == 0
    assert wait_for(lambda: (b := beat_jobs_any(mon)) and b["current"] is None and b, timeout=15)


def beat_jobs_any(mon: ServiceProcess) -> dict[str, Any] | None:
    node = requests.get(mon.url + "/api/ar/nodes/ar-backend", timeout=5).json()
    return (node.get("last_payload") or {}).get("jobs")


def test_a_cancel_half_way_leaves_no_file_and_the_next_job_runs(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path]
) -> None:
    be = start()
    long = submit(be, input="long.mp4", face="hanks.png")
    short = submit(be, input="face.mp4", face="hanks.png")
    assert job(be, short["id"])["state"] == "queued"  # one worker: first in, first out
    running_at(be, long["id"], 0.3)
    t0 = time.monotonic()
    resp = requests.post(f"{be.url}/jobs/{long['id']}/cancel", timeout=10)
    took = time.monotonic() - t0
    assert resp.status_code == 200, resp.text
    cancelled = resp.json()
    assert cancelled["state"] == "cancelled", cancelled
    assert took < 1.5, took  # stopped within a second (and the answer says so)
    assert 0 < cancelled["progress"]["frames_done"] < cancelled["progress"]["frames_total"]
    assert not (folders["outputs"] / "long-swapped.mp4").exists()
    assert partials(folders["outputs"]) == []
    again = requests.post(f"{be.url}/jobs/{long['id']}/cancel", timeout=10)
    assert (again.status_code, again.json()["field"]) == (409, "id")
    assert ends(be, short["id"])["state"] == "done"
    assert (folders["outputs"] / "face-swapped.mp4").is_file()
    assert len(workers_of(be)) == 1  # the same worker ran the next job


def test_a_kill_9_leaves_the_job_interrupted_and_retry_completes_it(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path]
) -> None:
    be = start()
    long = submit(be, input="long.mp4", face="tom.png")
    running_at(be, long["id"], 0.1)
    orphans = workers_of(be)
    assert len(orphans) == 1
    be.kill()  # SIGKILL: no chance to mark anything
    # the worker notices its backend is gone, stops its job and removes the partial file
    _, alive = psutil.wait_procs(orphans, timeout=15)
    assert not alive, alive
    assert partials(folders["outputs"]) == []
    be.start()
    interrupted = job(be, long["id"])
    assert interrupted["state"] == "interrupted", interrupted
    assert "retry" in interrupted["error"]
    assert not (folders["outputs"] / "long-swapped.mp4").exists()
    counts = requests.get(be.url + "/jobs", timeout=5).json()["counts"]
    assert counts["interrupted"] == 1 and counts["running"] == 0
    retried = requests.post(f"{be.url}/jobs/{long['id']}/retry", timeout=10).json()
    assert (retried["id"], retried["state"]) == (long["id"], "queued")
    assert retried["progress"]["frames_done"] == 0 and retried["error"] is None
    done = ends(be, long["id"], timeout=180)
    assert done["state"] == "done", done
    assert done["attempts"] == 2
    assert (folders["outputs"] / "long-swapped.mp4").is_file()


def test_sigterm_stops_a_running_job_as_interrupted(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path]
) -> None:
    be = start()
    first = submit(be, input="long.mp4", face="tom.png")
    running_at(be, first["id"], 0.1)
    workers = workers_of(be)
    t0 = time.monotonic()
    assert be.stop(signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 10
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, alive
    assert partials(folders["outputs"]) == []
    be.start()
    stopped = job(be, first["id"])
    assert stopped["state"] == "interrupted" and "retry" in stopped["error"], stopped
    assert not (folders["outputs"] / "long-swapped.mp4").exists()


def test_a_worker_that_dies_fails_its_job_and_the_next_one_runs(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path]
) -> None:
    be = start()
    long = submit(be, input="long.mp4", face="tom.png")
    short = submit(be, input="face.mp4", face="tom.png")
    running_at(be, long["id"], 0.05)
    (worker,) = workers_of(be)
    worker.send_signal(signal.SIGKILL)
    failed = ends(be, long["id"], timeout=30)
    assert failed["state"] == "failed"
    assert failed["error"] == "the worker process was killed (SIGKILL)"
    assert partials(folders["outputs"]) == []
    assert ends(be, short["id"])["state"] == "done"  # in a new worker
    (second,) = workers_of(be)
    assert second.pid != worker.pid
    assert "a new one starts with the next job" in be.log


def test_a_picture_job_and_a_bad_input_that_fails_in_the_worker(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path], tmp_path: Path
) -> None:
    be = start()
    picture = submit(be, input="astro.png", face="tom.png")
    assert (picture["kind"], picture["output"]) == ("image", "astro-swapped.png")
    # a face picture with no face fails with run_job's reason; the worker lives on
    (folders["media"] / "blank.png").write_bytes(
        cv2.imencode(".png", samples.astronaut()[:40, :40])[1].tobytes()
    )
    noface = submit(be, input="face.mp4", face="blank.png")
    after = submit(be, input="face.mp4", face="tom.png", output="after.mp4")
    done = ends(be, picture["id"])
    assert done["state"] == "done", done
    assert done["progress"]["frames_done"] == 1 and done["audio"] == "none"
    resp = requests.get(f"{be.url}/jobs/{picture['id']}/output", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    image = cv2.imdecode(np.frombuffer(resp.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None and image.shape[:2] == samples.astronaut().shape[:2]
    failed = ends(be, noface["id"])
    assert failed["state"] == "failed" and "face" in failed["error"], failed
    assert ends(be, after["id"])["state"] == "done"
    assert len(workers_of(be)) == 1


BAD_JSON = [
    ({"input": "../clip.mp4", "face": "tom.png"}, 400, "input"),
    ({"input": "/etc/passwd", "face": "tom.png"}, 400, "input"),
    ({"input": "file:///etc/passwd", "face": "tom.png"}, 400, "input"),
    ({"input": "sub\\clip.mp4", "face": "tom.png"}, 400, "input"),
    ({"input": "", "face": "tom.png"}, 400, "input"),
    ({"input": "absent.mp4", "face": "tom.png"}, 404, "input"),
    ({"input": "notes.txt", "face": "tom.png"}, 415, "input"),
    ({"input": "face.mp4", "face": "../faces/tom.png"}, 400, "face"),
    ({"input": "face.mp4", "face": "/etc/passwd"}, 400, "face"),
    ({"input": "face.mp4", "face": "absent.png"}, 404, "face"),
    ({"input": "face.mp4", "face": "face.mp4"}, 415, "face"),
    ({"input": "face.mp4", "face": "loaded"}, 409, "face"),
    ({"input": "face.mp4"}, 409, "face"),
    ({"input": "face.mp4", "face": "tom.png", "face_index": 100}, 400, "face_index"),
    ({"input": "face.mp4", "face": "tom.png", "face_index": "0"}, 400, "face_index"),
    ({"input": "face.mp4", "face": "tom.png", "engine": "nope"}, 400, "engine"),
    ({"input": "face.mp4", "face": "tom.png", "options": {"bogus": 1}}, 400, "options.bogus"),
    (
        {"input": "face.mp4", "face": "tom.png", "options": {"smoothing": 2}},
        400,
        "options.smoothing",
    ),
    ({"input": "face.mp4", "face": "tom.png", "options": {"blend": "x"}}, 400, "options.blend"),
    (
        {"input": "face.mp4", "face": "tom.png", "options": {"detect_size": 10}},
        400,
        "options.detect_size",
    ),
    (
        {"input": "face.mp4", "face": "tom.png", "options": {"engine_options": {"x": {}}}},
        400,
        "options.engine_options.x",
    ),
    (
        {
            "input": "face.mp4",
            "face": "tom.png",
            "options": {"engine_options": {"classic": {"shape_strength": 3}}},
        },
        400,
        "options.engine_options.classic.shape_strength",
    ),
    ({"input": "face.mp4", "face": "tom.png", "quality": 52}, 400, "quality"),
    ({"input": "face.mp4", "face": "tom.png", "quality": -1}, 400, "quality"),
    ({"input": "face.mp4", "face": "tom.png", "output": "x.avi"}, 400, "output"),
    ({"input": "face.mp4", "face": "tom.png", "output": "../x.mp4"}, 400, "output"),
    ({"input": "face.mp4", "face": "tom.png", "output": "/tmp/x.mp4"}, 400, "output"),
    ({"input": "astro.png", "face": "tom.png", "output": "astro.jpg"}, 400, "output"),
    ({"input": "face.mp4", "face": "tom.png", "extra": 1}, 400, "extra"),
    ({"face": "tom.png"}, 400, "input"),
]


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(  # type: ignore[no-untyped-def]
    start, folders: dict[str, Path]
) -> None:
    (folders["media"] / "notes.txt").write_text("not a video")
    be = start()
    keep = submit(be, input="face.mp4", face="tom.png", output="kept.mp4")
    ends(be, keep["id"])
    outputs_before = sorted(p.name for p in folders["outputs"].iterdir())
    media_before = sorted(p.name for p in folders["media"].iterdir())
    listing = requests.get(be.url + "/jobs", timeout=5).json()
    for body, status, field in BAD_JSON:
        resp = requests.post(be.url + "/jobs", json=body, timeout=10)
        assert (resp.status_code, resp.json().get("field")) == (status, field), (body, resp.text)
        assert resp.json()["code"] == status
    # a taken output name, a body that is not JSON, an unknown id
    taken = requests.post(
        be.url + "/jobs", json={"input": "face.mp4", "face": "tom.png", "output": "kept.mp4"}
    )
    assert (taken.status_code, taken.json()["field"]) == (409, "output")
    not_json = requests.post(
        be.url + "/jobs", data="input=face.mp4", headers={"Content-Type": "text/plain"}
    )
    assert (not_json.status_code, not_json.json()["field"]) == (415, "Content-Type")
    for path in ("/jobs/ffffffffffff", "/jobs/../etc/passwd"):
        resp = requests.get(be.url + path, timeout=5)
        assert resp.status_code == 404, path
    # multipart: an upload that is no video, a face that is no picture
    resp = requests.post(
        be.url + "/jobs",
        files={"input": ("evil.mp4", b"\x00" * 100)},
        data={"face": "tom.png"},
        timeout=10,
    )
    assert (resp.status_code, resp.json()["field"]) == (415, "input")
    resp = requests.post(
        be.url + "/jobs",
        files={"face": ("face.png", b"not a picture")},
        data={"input": "face.mp4"},
        timeout=10,
    )
    assert (resp.status_code, resp.json()["field"]) == (400, "face")
    resp = requests.post(
        be.url + "/jobs",
        files={"input": ("../../etc/passwd", b"root:x:0:0")},
        data={"face": "tom.png"},
        timeout=10,
    )
    assert (resp.status_code, resp.json()["field"]) == (415, "input")
    # nothing changed: the same list, the same files
    assert requests.get(be.url + "/jobs", timeout=5).json() == listing
    assert sorted(p.name for p in folders["outputs"].iterdir()) == outputs_before
    assert sorted(p.name for p in folders["media"].iterdir()) == media_before
    assert workers_of(be) and "Traceback" not in be.log
