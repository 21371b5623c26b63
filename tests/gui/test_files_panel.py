"""The Files tab (pytest-qt, offscreen) on a real backend process: videos and pictures added
through the file dialog or dropped, their jobs' progress to done, a running job cancelled and
removed, the notice when a job ends, the service's own words when it refuses."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import requests

pytest.importorskip("PyQt5")

from user_gui.app import i18n

WIDTH, HEIGHT = 520, 720  # about the window's tab column


@pytest.fixture
def backend(spawn, tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        "monitor: {enabled: false}\naudio: {input_device: no-such-mic}\n"
        f"face: {{sources_dir: {tmp_path / 'faces'}, models_dir: {tmp_path / 'models'}}}\n"
        f"media: {{folders: [{tmp_path / 'media'}]}}\n"
        f"jobs: {{outputs_dir: {tmp_path / 'outputs'}, data_dir: {tmp_path / 'jobs'}}}\n"
    )
    return spawn("ar_backend", ["--config", str(cfg), "--no-autostart"], health_path="/health")


def make_panel(qtbot, url: str):  # type: ignore[no-untyped-def]
    from user_gui.app.files_panel import FilesPanel
    from user_gui.services.clients import ARBackendClient

    panel = FilesPanel(ARBackendClient(url, timeout=5, retries=0))
    qtbot.addWidget(panel)
    panel.resize(WIDTH, HEIGHT)
    panel.show()
    return panel


@pytest.fixture
def panel(qtbot, backend):  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, backend.url)
    panel.set_backend_ok(True)  # what the window's refresh says once the backend answers
    qtbot.waitUntil(lambda: panel.listed, timeout=10000)
    yield panel
    panel.stop()


def write_clip(path: Path, seconds: float, fps: int = 15) -> Path:
    """A 320x240 clip of the astronaut's head (her face about 70 px) moving left and right
    (OpenCV's mp4v)."""
    import cv2
    import numpy as np

    from ar_backend.face import samples

    head = cv2.resize(samples.astronaut()[0:300, 70:370], (220, 220))  # head and shoulders
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 240))
    assert writer.isOpened()
    frames = round(seconds * fps)
    for i in range(frames):
        canvas = np.full((240, 320, 3), 60, np.uint8)
        x = round(50 + 45 * np.sin(2 * np.pi * i / max(frames, 1)))
        canvas[10:230, x : x + 220] = head
        writer.write(canvas)
    writer.release()
    return path


def write_picture(path: Path) -> Path:
    from ar_backend.face import samples

    path.write_bytes(samples.encode(samples.astronaut(), path.suffix))
    return path


def choose(monkeypatch, files: list[Path], picture: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    from PyQt5.QtWidgets import QFileDialog

    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileNames",
        staticmethod(lambda *_a, **_k: ([str(f) for f in files], "")),
    )
    if picture is not None:
        monkeypatch.setattr(
            QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(picture), ""))
        )


def row_of(panel, name: str):  # type: ignore[no-untyped-def]
    return next((r for r in panel.rows.values() if r.job.input == name), None)


def state_of(panel, name: str) -> str | None:  # type: ignore[no-untyped-def]
    row = row_of(panel, name)
    return row.job.state if row is not None else None


def backend_jobs(backend) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return requests.get(backend.url + "/jobs", timeout=5).json()["jobs"]


@pytest.mark.slow
def test_a_video_is_swapped_then_a_long_one_cancelled_and_removed(
    qtbot, panel, backend, tmp_path, monkeypatch, caplog
) -> None:
    from PyQt5.QtGui import QDesktopServices

    caplog.set_level(logging.INFO, logger="user_gui")
    clip = write_clip(tmp_path / "clip.mp4", 2)
    face = write_picture(tmp_path / "face.png")
    choose(monkeypatch, [clip], face)
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda u: opened.append(u) or True)
    )
    assert panel.form.use_loaded.isChecked() and not panel.form.face_number.isEnabled()
    panel.form.use_picture.setChecked(True)  # no picture yet: the dialog asks for one
    assert panel.form.face_picture == str(face) and panel.form.picture_name.text() == "face.png"
    panel.form.mouth_mask.setChecked(True)
    ended: list[tuple[str, str]] = []
    panel.job_ended.connect(lambda job_id, line: ended.append((job_id, line)))

    panel.add_button.click()
    qtbot.waitUntil(lambda: row_of(panel, "clip.mp4") is not None, timeout=20000)
    row = row_of(panel, "clip.mp4")
    qtbot.waitUntil(lambda: state_of(panel, "clip.mp4") in ("done", "failed"), timeout=180000)
    job = row.job
    assert job.state == "done", job.error
    assert row.state.text() == "done"
    assert row.bar.value() == row.bar.maximum() == 100
    assert row.bar.text() == "100% · 30/30 frames"
    assert row.detail.text().startswith(f"→ {job.output} · ")
    assert row.detail.text().endswith("% of frames swapped")
    assert job.face.kind == "file" and job.face.name == "face.png"
    assert job.options.get("mouth_mask") is True
    assert job.output_path and Path(job.output_path).is_file()
    assert Path(job.output_path).stat().st_size > 1000
    assert [b.isVisible() for b in row.buttons] == [False, False, True, True, True]
    line = ended[-1][1]
    assert ended[-1][0] == job.id and line.startswith("clip.mp4: done in ") and line.endswith(" s")
    assert panel.notice.text() == line
    assert any(r.getMessage() == line for r in caplog.records)  # the log says it too
    row.open_folder.click()
    row.open_file.click()
    assert [u.toLocalFile() for u in opened] == [
        str(Path(job.output_path).parent),
        job.output_path,
    ]

    # a backend on another machine: the client downloads the output
    copy = panel.backend.download_job_output(job.id, tmp_path / "copy.mp4")
    assert copy.read_bytes() == Path(job.output_path).read_bytes()

    long_clip = write_clip(tmp_path / "long.mp4", 60)
    choose(monkeypatch, [long_clip])
    panel.add_button.click()
    qtbot.waitUntil(
        lambda: (
            (r := row_of(panel, "long.mp4")) is not None
            and r.job.state == "running"
            and r.job.progress is not None
            and r.job.progress.frames_done > 0
        ),
        timeout=60000,
    )
    long_row = row_of(panel, "long.mp4")
    assert panel.list.list_layout.indexOf(long_row) == 0  # newest first
    assert long_row.cancel.isVisible() and not long_row.remove.isVisible()
    assert "/900 frames" in long_row.bar.text()
    assert "fps" in long_row.detail.text() and "left" in long_row.detail.text()
    assert 0 <= long_row.bar.value() < 100
    lists: list[int] = []
    panel.jobs_shown.connect(lambda: lists.append(1))
    qtbot.wait(2500)
    assert len(lists) >= 2  # read about once a second while a job runs
    assert panel.notice.text() == line  # the last job that ended stays in view
    assert panel.summary.text() == "1 running · 1 done"
    assert panel.grab().save(str(tmp_path / "files_tab.png"))  # it renders

    long_row.cancel.click()
    qtbot.waitUntil(lambda: state_of(panel, "long.mp4") == "cancelled", timeout=30000)
    assert long_row.state.text() == "cancelled"
    assert panel.notice.text() == "long.mp4: cancelled"
    assert long_row.retry.isVisible() and long_row.remove.isVisible()
    assert not long_row.cancel.isVisible() and not long_row.open_file.isVisible()
    long_id = long_row.job.id
    long_row.remove.click()
    qtbot.waitUntil(lambda: row_of(panel, "long.mp4") is None, timeout=10000)
    assert long_id not in {j["id"] for j in backend_jobs(backend)}
    assert row_of(panel, "clip.mp4") is not None and Path(job.output_path).is_file()
    assert panel.message.text() == ""


@pytest.mark.slow
def test_a_dropped_picture_becomes_a_job(qtbot, panel, backend, tmp_path) -> None:
    from PyQt5.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PyQt5.QtGui import QDragEnterEvent, QDropEvent
    from PyQt5.QtWidgets import QApplication

    face = write_picture(tmp_path / "face.png")
    panel.form.set_face_picture(str(face))
    photo = write_picture(tmp_path / "photo.jpg")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo)), QUrl.fromLocalFile(str(notes))])
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, drop)
    assert drop.isAccepted()
    assert panel.message.text() == "Not a video or picture: notes.txt"  # named, not sent
    qtbot.waitUntil(lambda: state_of(panel, "photo.jpg") in ("done", "failed"), timeout=60000)
    row = row_of(panel, "photo.jpg")
    assert row.job.state == "done", row.job.error
    assert row.job.kind == "image" and row.bar.value() == 100
    assert row.job.output_path and Path(row.job.output_path).is_file()
    assert panel.notice.text().startswith("photo.jpg: done")
    assert [j["input"] for j in backend_jobs(backend)] == ["photo.jpg"]


@pytest.mark.slow
def test_a_refusal_shows_the_backends_own_words(qtbot, panel, backend, tmp_path) -> None:
    """No face loaded and "the loaded face" chosen: the backend's reason, no URL or code."""
    clip = write_clip(tmp_path / "clip.mp4", 1)
    panel.add_files([str(clip)])
    qtbot.waitUntil(lambda: panel.message.text() != "", timeout=20000)
    text = panel.message.text()
    assert text.startswith("clip.mp4 not added: ")
    assert "http" not in text.lower() and "/jobs" not in text and "40" not in text, text
    assert panel.rows == {} or all(r.job.state != "done" for r in panel.rows.values())


def test_an_unreachable_backend_is_said_in_words(qtbot, tmp_path) -> None:
    panel = make_panel(qtbot, "http://127.0.0.1:9")
    panel.set_backend_ok(True)
    picture = write_picture(tmp_path / "photo.jpg")
    panel.add_files([str(picture)])
    qtbot.waitUntil(lambda: "not added" in panel.message.text(), timeout=10000)
    assert panel.message.text() == ("photo.jpg not added: cannot connect (is the service running?)")
    # the job list's next read fails too: the message about the person's own file stays
    panel._on_jobs_failed("cannot connect (is the service running?)")
    assert panel.message.text().startswith("photo.jpg not added")
    panel.set_backend_ok(False, "backend offline")
    assert not panel.add_button.isEnabled() and panel.message.text() == "backend offline"
    panel.stop()


def test_progress_and_ended_lines() -> None:
    from shared.wire.backend import JobOut
    from user_gui.app.job_row import ended_line, percent, progress_details, progress_text

    def job(**kw: Any) -> JobOut:
        base: dict[str, Any] = {
            "id": "0123456789ab",
            "state": "running",
            "input": "clip.mp4",
            "kind": "video",
            "face": {"kind": "file", "name": "face.png"},
            "engine": "classic",
            "options": {},
            "quality": 20,
            "output": "clip-swapped.mp4",
            "created_at": "2025-01-01T09:59:58+00:00",
            "progress": {"frames_done": 0},
        }
        return JobOut.model_validate({**base, **kw})

    running = job(
        progress={
            "frames_done": 60,
            "frames_total": 240,
            "fps": 12.04,
            "eta_s": 15.0,
            "frames_swapped": 57,
            "swapped_share": 0.95,
        }
    )
    assert percent(running) == 25
    assert progress_text(running) == "25% · 60/240 frames"
    assert progress_details(running) == "12.0 fps · 0:15 left · 95% of frames swapped"
    # a job that had to blur a face it could not swap says so (the backend's notice too)
    blurred = job(
        state="done",
        output_path="/out/clip-swapped.mp4",
        progress={
            "frames_done": 90,
            "frames_swapped": 84,
            "frames_guarded": 6,
            "swapped_share": 0.93,
        },
        notice="6 frame(s) had a face that could not be swapped ...",
    )
    assert blurred.notice and blurred.progress.frames_guarded == 6
    assert progress_details(blurred).endswith(
        "93% of frames swapped · 6 frame(s) blurred: a face there could not be swapped"
    )
    assert progress_text(job(state="queued")) == "waiting"
    assert percent(job(progress={"frames_done": 5, "frames_total": None})) is None
    done = job(
        state="done",
        started_at="2025-01-01T10:00:00+00:00",
        finished_at="2025-01-01T10:00:12.4+00:00",
    )
    assert ended_line(done) == "clip.mp4: done in 12 s"
    long_done = job(
        state="done",
        started_at="2025-01-01T10:00:00+00:00",
        finished_at="2025-01-01T10:02:05+00:00",
    )
    assert ended_line(long_done) == ("clip.mp4: done in 2 min 5 s")
    assert ended_line(job(state="failed", error="no face in face.png")) == (
        "clip.mp4 failed: no face in face.png"
    )
    i18n.set_language("zh_CN")
    assert ended_line(done) == "clip.mp4：已完成，用时 12 秒"  # noqa: RUF001


@pytest.mark.slow
def test_the_window_has_a_files_tab(qtbot, window) -> None:
    tabs = window.tabs
    texts = [tabs.tabText(i) for i in range(tabs.count())]
    assert texts == ["Studio", "Services and log", "Files"]
    assert tabs.widget(2) is window.files_panel
    qtbot.waitUntil(lambda: window.files_panel.add_button.isEnabled(), timeout=15000)
    qtbot.waitUntil(lambda: window.files_panel.listed, timeout=10000)
    window.close()
    assert window.files_panel.stopped
