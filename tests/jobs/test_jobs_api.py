"""File jobs in process (issue 15): the job list (store: states, atomic changes, what survives
a restart) and the REST API's shapes and refusals, through ``make_studio`` with the queue's
dispatch switched off, so jobs stay where the test puts them and no worker process starts.
Jobs that run, a cancel, a kill -9 and a worker crash are in test_jobs_process.py."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from ar_backend.face import samples
from ar_backend.jobs import store as st
from ar_backend.jobs.queue import JobQueue, remove_partials
from ar_backend.jobs.store import JobStore, progress_values
from shared.wire.backend import JobDeleteOut, JobListOut, JobOut, StatusOut
from tests.backend import conftest as backend_fixtures
from tests.backend.conftest import write_clip
from tests.pixel_bombs import png_declaring

# the backend's fixtures, for this folder (tests/jobs has no conftest of its own)
make_studio = backend_fixtures.make_studio
media = backend_fixtures.media

STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")


def _row(**values: Any) -> dict[str, Any]:
    base = {
        "id": st.new_id(),
        "kind": "video",
        "input": "clip.mp4",
        "input_path": "/m/clip.mp4",
        "face_kind": "file",
        "face_name": "face.png",
        "face_index": None,
        "face_path": "/d/face.png",
        "engine": "classic",
        "options": {"many_faces": False},
        "quality": 20,
        "output": "clip-swapped.mp4",
        "output_path": "/o/clip-swapped.mp4",
    }
    return {**base, **values}


# ---- the store ------------------------------------------------------------------------------


def test_the_store_moves_jobs_through_their_states_one_way_at_a_time(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    first = store.add(_row(output="a.mp4"))
    time.sleep(0.01)
    second = store.add(_row(output="b.mp4"))
    assert first is not None and second is not None
    assert first["state"] == "queued" and first["options"] == {"many_faces": False}
    assert [j["id"] for j in store.recent()] == [second["id"], first["id"]]  # newest first
    assert store.next_queued()["id"] == first["id"]  # type: ignore[index]  # first in, first out
    assert store.counts() == {**dict.fromkeys(STATES, 0), "queued": 2}

    assert store.claim(first["id"]) and not store.claim(first["id"])  # claimed once
    assert not store.cancel_queued(first["id"])  # running: not "cancelled at once"
    assert not store.retry(first["id"])  # running is not retried
    assert not store.delete(first["id"])  # nor deleted
    assert store.progress(first["id"], {"frames_done": 5, "frames_total": 10, "fps": 2.5})
    assert store.finish(first["id"], "failed", error="no face found")
    assert not store.finish(first["id"], "done")  # over already: nothing changes
    job = store.get(first["id"])
    assert job is not None
    assert (job["state"], job["error"], job["frames_done"], job["attempts"]) == (
        "failed",
        "no face found",
        5,
        1,
    )
    assert store.retry(first["id"])  # the same id, queued again, progress reset
    job = store.get(first["id"])
    assert job is not None
    assert (job["state"], job["error"], job["frames_done"], job["started_at"]) == (
        "queued",
        None,
        0,
        None,
    )
    assert store.next_queued()["id"] == second["id"]  # type: ignore[index]  # a retry queues last
    assert store.cancel_queued(second["id"]) and store.get(second["id"])["state"] == "cancelled"  # type: ignore[index]
    assert store.delete(second["id"]) and store.get(second["id"]) is None
    store.close()


def test_the_list_survives_a_restart_and_a_running_job_becomes_interrupted(
    tmp_path: Path,
) -> None:
    store = JobStore(tmp_path)
    job = store.add(_row(output_path=str(tmp_path / "out" / "x.mp4")))
    assert job is not None and store.claim(job["id"])
    store.progress(job["id"], {"frames_done": 7, "frames_total": 50})
    store.close()  # a backend killed mid-job: the row says running
    out = tmp_path / "out"
    out.mkdir()
    partial = out / ".x.mp4.ab12cd.part"
    partial.write_bytes(b"half a video")
    other = out / ".y.mp4.ab12cd.part"  # another job's: stays
    other.write_bytes(b"x")

    from ar_backend.config import FaceConfig, JobsConfig

    queue = JobQueue(JobsConfig(), FaceConfig(), tmp_path, out)
    queue.start()
    try:
        again = queue.get(job["id"])
        assert again.state == "interrupted"
        assert again.error is not None and "retry" in again.error
        assert again.progress.frames_done == 7
        assert not partial.exists() and other.exists()
        assert queue.listing().counts.interrupted == 1
    finally:
        queue.close()


def test_the_queue_holds_at_most_max_queued(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    assert store.add(_row(output="1.mp4"), max_queued=2) is not None
    assert store.add(_row(output="2.mp4"), max_queued=2) is not None
    assert store.add(_row(output="3.mp4"), max_queued=2) is None
    assert store.counts()["queued"] == 2
    store.close()


def test_progress_values_are_checked_before_they_are_written() -> None:
    assert progress_values(
        {"frames_done": -3, "frames_total": None, "fps": float("nan"), "eta_s": float("inf")}
    ) == {"frames_done": 0, "frames_total": None, "fps": None, "eta_s": None}
    assert progress_values({"frames_done": "x", "frames_swapped": True}) == {}


def test_partial_outputs_are_found_by_the_name_run_job_gives_them(tmp_path: Path) -> None:
    (tmp_path / ".a.mp4.x1y2.part").write_bytes(b"")
    (tmp_path / ".a.mp4.part").write_bytes(b"")  # not the pattern: left
    (tmp_path / "a.mp4").write_bytes(b"done")
    assert remove_partials(tmp_path / "a.mp4") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.mp4.part", "a.mp4"]


# ---- the API (dispatch off: jobs stay queued) ----------------------------------------------


@pytest.fixture
def jobs_app(make_studio, tmp_path: Path, media: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """(client, studio) with no job dispatched; ``face.png`` (a face) and ``astro.png`` in
    the media folder, ``hanks.png`` in the sources folder."""
    monkeypatch.setattr(JobQueue, "_dispatch", lambda self: None)
    sources = tmp_path / "faces"
    sources.mkdir()
    cv2.imwrite(str(sources / "hanks.png"), samples.tom_hanks())
    cv2.imwrite(str(media / "face.png"), samples.tom_hanks())
    cv2.imwrite(str(media / "astro.png"), samples.astronaut())
    (media / "notes.txt").write_text("not a video")

    def _make(**sections: Any) -> tuple[Any, Any]:
        jobs = {"data_dir": str(tmp_path / "data"), "outputs_dir": str(tmp_path / "outputs")}
        return make_studio(
            face={"sources_dir": str(sources), **sections.pop("face", {})},
            jobs={**jobs, **sections.pop("jobs", {})},
            **sections,
        )

    return _make


def _count(client: Any) -> int:
    return len(client.get("/jobs").get_json()["jobs"])


def test_an_empty_list_has_every_state_counted(jobs_app) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app()
    body = client.get("/jobs").get_json()
    JobListOut.model_validate(body)
    assert body == {"jobs": [], "counts": dict.fromkeys(STATES, 0)}
    status = client.get("/status").get_json()
    StatusOut.model_validate(status)
    assert status["jobs"] == {
        "running": 0,
        "queued": 0,
        "failed": 0,
        "done": 0,
        "workers": 0,
        "current": None,
    }


def test_a_job_is_queued_with_its_options_face_and_output(  # type: ignore[no-untyped-def]
    jobs_app, tmp_path: Path
) -> None:
    client, studio = jobs_app()
    resp = client.post(
        "/jobs",
        json={
            "input": "clip.mp4",
            "face": "hanks.png",
            "options": {"many_faces": True, "blend": "feather", "shape_strength": 0.5},
            "quality": 30,
        },
    )
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    JobOut.model_validate(job)
    assert job["state"] == "queued" and job["kind"] == "video" and job["input"] == "clip.mp4"
    assert job["face"] == {"kind": "file", "name": "hanks.png", "face_index": None}
    assert job["engine"] == "classic" and job["quality"] == 30
    assert job["options"]["many_faces"] is True and job["options"]["blend"] == "feather"
    assert job["options"]["engine_options"]["classic"]["shape_strength"] == 0.5
    assert job["options"]["smoothing"] == studio.face.options.smoothing  # the live ones
    assert job["output"] == "clip-swapped.mp4" and job["output_path"] is None
    assert job["progress"] == {
        "frames_done": 0,
        "frames_total": None,
        "fps": None,
        "eta_s": None,
        "frames_swapped": 0,
        "frames_guarded": 0,
        "frames_faceless": 0,
        "swapped_share": None,
        "share": None,
    }
    assert job["notice"] is None
    # the face picture is kept in the data folder (a retry after a restart has it)
    row = studio.jobs.store.get(job["id"])
    kept = Path(row["face_path"])
    assert kept.parent == tmp_path / "data" / "job-faces" and kept.is_file()
    assert (tmp_path / "data" / "jobs.sqlite").is_file()
    assert client.get(f"/jobs/{job['id']}").get_json() == job
    # the next default name is free; a name taken is 409
    second = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()
    assert second["output"] == "clip-swapped-1.mp4"
    taken = client.post(
        "/jobs", json={"input": "clip.mp4", "face": "face.png", "output": "clip-swapped.mp4"}
    )
    assert (taken.status_code, taken.get_json()["field"]) == (409, "output")
    # a picture job writes its own format
    image = client.post("/jobs", json={"input": "astro.png", "face": "face.png"}).get_json()
    assert (image["kind"], image["output"]) == ("image", "astro-swapped.png")
    body = client.get("/jobs").get_json()
    assert [j["id"] for j in body["jobs"]] == [image["id"], second["id"], job["id"]]
    assert body["counts"]["queued"] == 3
    assert client.get("/status").get_json()["jobs"]["queued"] == 3


def test_the_loaded_face_is_kept_as_a_picture_of_its_own(  # type: ignore[no-untyped-def]
    jobs_app,
) -> None:
    client, studio = jobs_app()
    resp = client.post("/jobs", json={"input": "clip.mp4", "face": "loaded"})
    assert (resp.status_code, resp.get_json()["field"]) == (409, "face")
    assert _count(client) == 0
    upload = {"image": (io.BytesIO(samples.encode(samples.tom_hanks())), "tom.jpg")}
    assert client.post("/face/load", data=upload).status_code == 200
    job = client.post("/jobs", json={"input": "clip.mp4"}).get_json()  # "loaded" by default
    assert job["face"] == {"kind": "loaded", "name": "tom.jpg", "face_index": 0}
    kept = cv2.imread(studio.jobs.store.get(job["id"])["face_path"])
    assert kept is not None and kept.shape == studio.face._loaded.image.shape
    assert np.array_equal(kept, studio.face._loaded.image)  # the pixels the swap uses


def test_cancel_retry_delete_and_output_of_a_queued_job(jobs_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, studio = jobs_app()
    job = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()
    jid = job["id"]
    missing = client.get(f"/jobs/{jid}/output")
    assert (missing.status_code, missing.get_json()["field"]) == (404, "output")
    retry = client.post(f"/jobs/{jid}/retry")
    assert (retry.status_code, retry.get_json()["field"]) == (409, "id")
    cancelled = client.post(f"/jobs/{jid}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["state"] == "cancelled"  # at once: it never ran
    again = client.post(f"/jobs/{jid}/cancel")
    assert (again.status_code, again.get_json()["field"]) == (409, "id")
    retried = client.post(f"/jobs/{jid}/retry").get_json()
    assert (retried["id"], retried["state"]) == (jid, "queued")
    # a done job's output: downloaded as an attachment, removed only when asked
    store = studio.jobs.store
    assert store.claim(jid)
    running = client.delete(f"/jobs/{jid}")
    assert (running.status_code, running.get_json()["field"]) == (409, "id")
    out = Path(store.get(jid)["output_path"])
    out.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    assert store.finish(jid, "done", audio="copied")
    done = client.get(f"/jobs/{jid}").get_json()
    assert done["output_path"] == str(out) and done["audio"] == "copied"
    resp = client.get(f"/jobs/{jid}/output")
    assert resp.status_code == 200 and resp.mimetype == "video/mp4"
    assert resp.headers["Content-Disposition"] == "attachment; filename=clip-swapped.mp4"
    assert resp.data == out.read_bytes()
    resp.close()
    kept_face = Path(store.get(jid)["face_path"])
    gone = client.delete(f"/jobs/{jid}?output=false")
    assert gone.status_code == 200
    assert JobDeleteOut.model_validate(gone.get_json()).output_removed is False
    assert out.exists() and not kept_face.exists()  # the picture no job names goes
    assert client.get(f"/jobs/{jid}").status_code == 404
    # output=true removes the file too
    second = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()
    assert store.claim(second["id"])
    out2 = Path(store.get(second["id"])["output_path"])
    out2.write_bytes(b"x")
    store.finish(second["id"], "done")
    assert client.delete(f"/jobs/{second['id']}?output=true").get_json()["output_removed"]
    assert not out2.exists()


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/jobs/0123456789ab", "get"),
        ("/jobs/nothex", "get"),
        ("/jobs/0123456789ab/cancel", "post"),
        ("/jobs/0123456789ab/retry", "post"),
        ("/jobs/0123456789ab", "delete"),
        ("/jobs/0123456789ab/output", "get"),
    ],
)
def test_an_unknown_id_is_404_naming_id(jobs_app, path: str, method: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app()
    resp = getattr(client, method)(path)
    assert (resp.status_code, resp.get_json()["field"]) == (404, "id")


def test_a_full_queue_refuses_new_jobs_and_retries(jobs_app) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app(jobs={"max_queued": 1})
    first = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()
    full = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"})
    assert (full.status_code, full.get_json()["field"]) == (429, "input")
    assert client.post(f"/jobs/{first['id']}/cancel").get_json()["state"] == "cancelled"
    second = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"})
    assert second.status_code == 202
    again = client.post(f"/jobs/{first['id']}/retry")
    assert (again.status_code, again.get_json()["field"]) == (429, "input")
    assert _count(client) == 2


def test_multipart_uploads_the_input_and_the_face(jobs_app, media: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app()
    clip = write_clip(tmp_path / "upload.mp4")
    face = samples.encode(samples.tom_hanks(), ".png")
    resp = client.post(
        "/jobs",
        data={
            "input": (io.BytesIO(clip.read_bytes()), "My Holiday.mp4"),
            "face": (io.BytesIO(face), "someone.png"),
            "options": json.dumps({"mouth_mask": True}),
            "quality": "25",
            "output": "holiday.mp4",
        },
    )
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    assert (job["input"], job["output"], job["quality"]) == ("My_Holiday.mp4", "holiday.mp4", 25)
    assert job["face"] == {"kind": "file", "name": "someone.png", "face_index": None}
    assert job["options"]["mouth_mask"] is True
    assert (media / "My_Holiday.mp4").is_file()  # saved as POST /media saves it
    # refused after the upload was read: nothing is left in the media folder
    before = sorted(p.name for p in media.iterdir())
    for data, field in (
        ({"options": "{not json"}, "options"),
        ({"options": json.dumps({"bogus": 1})}, "options.bogus"),
        ({"output": "clip.avi"}, "output"),
        ({"quality": "99"}, "quality"),
        ({"engine": "nope"}, "engine"),
        ({"extra": "1"}, "extra"),
    ):
        upload = {"input": (io.BytesIO(clip.read_bytes()), "again.mp4"), "face": "face.png"}
        resp = client.post("/jobs", data={**upload, **data})
        assert resp.status_code == 400, (data, resp.get_json())
        assert resp.get_json()["field"] == field, (data, resp.get_json())
    bad_video = {"input": (io.BytesIO(b"not a video at all"), "junk.mp4"), "face": "face.png"}
    resp = client.post("/jobs", data=bad_video)
    assert (resp.status_code, resp.get_json()["field"]) == (415, "input")
    assert sorted(p.name for p in media.iterdir()) == before
    assert _count(client) == 1


def test_control_needs_the_key_and_reads_stay_open(jobs_app) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app(security={"api_key_enabled": True, "api_key": "sekrit"})
    resp = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"})
    assert (resp.status_code, resp.get_json()["field"]) == (401, "X-API-Key")
    assert client.get("/jobs").status_code == 200
    ok = client.post(
        "/jobs", json={"input": "clip.mp4", "face": "face.png"}, headers={"X-API-Key": "sekrit"}
    )
    assert ok.status_code == 202
    jid = ok.get_json()["id"]
    assert client.post(f"/jobs/{jid}/cancel").status_code == 401
    assert client.delete(f"/jobs/{jid}").status_code == 401
    assert client.get(f"/jobs/{jid}").status_code == 200


def test_an_unwritable_data_folder_leaves_jobs_unavailable_and_the_rest_running(  # type: ignore[no-untyped-def]
    jobs_app, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    client, _ = jobs_app(jobs={"data_dir": str(blocker)})
    resp = client.get("/jobs")
    assert resp.status_code == 503 and "cannot be opened" in resp.get_json()["message"]
    status = client.get("/status")
    assert status.status_code == 200
    assert "cannot be opened" in status.get_json()["jobs"]["error"]
    assert client.get("/camera/status").status_code == 200


def test_every_jobs_route_is_in_the_openapi_document(jobs_app) -> None:  # type: ignore[no-untyped-def]
    client, _ = jobs_app()
    paths = client.get("/openapi.json").get_json()["paths"]
    assert set(paths["/jobs"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/jobs"]["post"]["requestBody"]["content"]
    assert set(paths["/jobs/{id}"]) == {"get", "delete"}
    for tail in ("cancel", "retry"):
        assert set(paths[f"/jobs/{{id}}/{tail}"]) == {"post"}
    assert "video/mp4" in paths["/jobs/{id}/output"]["get"]["responses"]["200"]["content"]


def test_the_output_download_never_follows_a_link_at_its_path(jobs_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A link placed at a finished job's output path (pointing anywhere: /etc/passwd, a key)
    is not followed: 403 naming ``output``, nothing of the target sent. The real file is
    sent with its size."""
    client, studio = jobs_app()
    jid = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()["id"]
    store = studio.jobs.store
    assert store.claim(jid)
    out = Path(store.get(jid)["output_path"])
    out.write_bytes(b"\x00\x00\x00\x18ftypmp42 the job's own bytes")
    assert store.finish(jid, "done")
    resp = client.get(f"/jobs/{jid}/output")
    assert resp.status_code == 200 and resp.data == out.read_bytes()
    assert resp.headers["Content-Length"] == str(out.stat().st_size)
    resp.close()
    secret = tmp_path / "secret.txt"
    secret.write_text("not for download")
    out.unlink()
    out.symlink_to(secret)
    resp = client.get(f"/jobs/{jid}/output")
    body = resp.get_json()
    assert (resp.status_code, body["field"]) == (403, "output"), body
    assert b"not for download" not in resp.data
    out.unlink()
    out.mkdir()  # a folder is not the file either
    assert client.get(f"/jobs/{jid}/output").status_code == 403
    out.rmdir()
    assert client.get(f"/jobs/{jid}/output").status_code == 404  # gone


def test_the_history_keeps_the_newest_finished_jobs_and_their_files(jobs_app) -> None:  # type: ignore[no-untyped-def]
    """jobs.keep_finished and jobs.keep_days: finished jobs past them leave the list (with
    the face pictures only they kept); their output files stay; queued jobs never go."""
    import time

    from sqlalchemy import update

    from ar_backend.jobs.store import jobs as jobs_table

    client, studio = jobs_app(jobs={"keep_finished": 2, "keep_days": 1})
    store = studio.jobs.store
    ids = []
    for n in range(5):  # five finished, oldest first, one 3 days old
        face = "astro.png" if n < 2 else "face.png"  # (astro.png: only jobs that go)
        job = client.post("/jobs", json={"input": "clip.mp4", "face": face}).get_json()
        assert store.claim(job["id"])
        Path(store.get(job["id"])["output_path"]).write_bytes(b"out")
        assert store.finish(job["id"], "done" if n % 2 else "failed")
        with store.engine.begin() as conn:
            conn.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job["id"])
                .values(finished_at=time.time() - (5 - n) * 3600 - (3 * 86400 if n == 4 else 0))
            )
        ids.append(job["id"])
    queued = client.post("/jobs", json={"input": "clip.mp4", "face": "hanks.png"}).get_json()
    outputs = [Path(store.get(i)["output_path"]) for i in ids]
    astro_face = Path(store.get(ids[0])["face_path"])
    assert astro_face.is_file()
    assert studio.jobs.trim_history() == 3
    assert not astro_face.exists()  # no job left names it
    left = [j["id"] for j in client.get("/jobs").get_json()["jobs"]]
    # the newest two finished (n=3, then n=2: n=4 finished 3 days ago), and the queued one
    assert sorted(left) == sorted([ids[2], ids[3], queued["id"]])
    assert all(path.read_bytes() == b"out" for path in outputs)  # every output kept
    assert Path(store.get(queued["id"])["face_path"]).is_file()
    assert studio.jobs.trim_history() == 0


# ---- the background and occlusion of a job ----------------------------------------------------


@pytest.fixture
def segmentation() -> None:
    """Person segmentation's model files here, or a skip (CI: a failure)."""
    from ar_backend.config import FaceConfig
    from ar_backend.face.detect import person
    from ar_backend.face.detect.base import model_files
    from tests.conftest import require_or_skip

    problem = model_files(FaceConfig()).problem(person.FILES)
    if problem:
        require_or_skip(problem)


def test_a_job_takes_a_background_checked_as_post_background_checks_it(  # type: ignore[no-untyped-def]
    jobs_app, media: Path, segmentation: None
) -> None:
    client, studio = jobs_app()
    # the live background is the default: any field left out is the live one's
    assert client.post("/background", json={"mode": "blur", "blur": 0.3}).status_code == 200
    job = client.post("/jobs", json={"input": "clip.mp4", "face": "face.png"}).get_json()
    assert job["background"] == {"mode": "blur", "blur": 0.3, "color": "#00b140", "image": None}
    body = {"input": "astro.png", "face": "face.png"}
    resp = client.post("/jobs", json={**body, "background": {"mode": "image", "image": "face.png"}})
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()
    JobOut.model_validate(job)
    assert (job["background"]["mode"], job["background"]["image"]) == ("image", "face.png")
    spec = studio.jobs._spec(studio.jobs.store.get(job["id"]))
    assert spec.background.mode == "image" and spec.background_path == media / "face.png"
    green = client.post("/jobs", json={**body, "background": {"mode": "color", "color": "#00ff00"}})
    assert green.get_json()["background"]["color"] == "#00ff00"
    assert client.get("/background").get_json()["mode"] == "blur"  # the live one unchanged
    queued = _count(client)
    png_declaring(media / "bomb.png", 30000, 30000)  # 110 kB declaring 900 megapixels
    for background, status, field in (
        ({"mode": "sepia"}, 400, "background.mode"),
        ({"blur": 1.5}, 400, "background.blur"),
        ({"color": "green"}, 400, "background.color"),
        ({"mode": "image", "image": "/etc/hostname"}, 403, "background.image"),
        ({"mode": "image", "image": "../../etc/hostname"}, 403, "background.image"),
        ({"mode": "image", "image": "nowhere.jpg"}, 404, "background.image"),
        ({"mode": "image", "image": "notes.txt"}, 400, "background.image"),
        ({"sharpness": 1}, 400, "background.sharpness"),
        ({"mode": "image", "image": "bomb.png"}, 413, "background.image"),
    ):
        resp = client.post("/jobs", json={**body, "background": background})
        assert (resp.status_code, resp.get_json()["field"]) == (status, field), background
    # multipart takes it as JSON text
    form = {"input": "astro.png", "face": "face.png", "background": '{"mode": "color"}'}
    resp = client.post("/jobs", data=form, content_type="multipart/form-data")
    assert resp.status_code == 202 and resp.get_json()["background"]["mode"] == "color"
    bad = client.post(
        "/jobs", data={**form, "background": "{nope"}, content_type="multipart/form-data"
    )
    assert (bad.status_code, bad.get_json()["field"]) == (400, "background")
    assert _count(client) == queued + 1


def test_without_the_models_a_job_is_refused_its_background_and_runs_without_occlusion(  # type: ignore[no-untyped-def]
    jobs_app, tmp_path: Path
) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    client, _ = jobs_app(face={"models_dir": str(empty)})
    body = {"input": "astro.png", "face": "face.png"}
    resp = client.post("/jobs", json={**body, "background": {"mode": "blur"}})
    assert (resp.status_code, resp.get_json()["field"]) == (503, "background.mode")
    assert "python -m ar_backend.weights fetch" in resp.get_json()["message"]
    asked = client.post("/jobs", json={**body, "options": {"occlusion": "on"}})
    assert (asked.status_code, asked.get_json()["field"]) == (503, "options.occlusion")
    # occlusion on by default: the job runs without it, and its options say so
    job = client.post("/jobs", json=body).get_json()
    assert job["options"]["occlusion"] == "off" and job["background"]["mode"] == "off"


def test_an_older_job_list_gains_the_background_column(tmp_path: Path) -> None:
    """A jobs.sqlite written before jobs had a background: opened, upgraded, its jobs off."""
    import sqlite3

    old = sqlite3.connect(tmp_path / st.DB_FILE)
    columns = [c for c in st.jobs.columns if c.name != "background"]
    old.execute(f"CREATE TABLE jobs ({', '.join(c.name for c in columns)})")
    row = {
        **_row(),
        "state": "done",
        "created_at": 1.0,
        "queued_at": 1.0,
        "frames_done": 3,
        "frames_swapped": 3,
        "frames_guarded": 0,
        "frames_faceless": 0,
        "attempts": 1,
    }
    row["options"] = json.dumps(row["options"])
    names = [c.name for c in columns if c.name in row]
    old.execute(
        f"INSERT INTO jobs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[n] for n in names],
    )
    old.commit()
    old.close()
    store = JobStore(tmp_path)
    try:
        kept = store.get(row["id"])
        assert kept is not None and kept["background"] == {}
        added = store.add(_row(output="new.mp4", background={"mode": "blur", "blur": 1.0}))
        assert added is not None and added["background"]["mode"] == "blur"
    finally:
        store.close()
    from ar_backend.config import FaceConfig, JobsConfig

    queue = JobQueue(JobsConfig(), FaceConfig(), tmp_path, tmp_path / "out")
    try:
        assert queue.view(kept).background["mode"] == "off"
        assert queue._spec(kept).background.mode == "off"
    finally:
        queue.close()
