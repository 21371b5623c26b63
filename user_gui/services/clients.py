"""HTTP clients for ar_backend and yl_monitor (docs/contracts.md), on shared.http's client base.

Every answer is validated with its model from :mod:`shared.wire` (the models the services'
OpenAPI documents declare) and returned typed. An answer that does not fit its model raises
:class:`UnexpectedAnswer`, an HttpError, so a caller shows it like any other failure.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable, Sequence
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError

from shared.http import HttpClient, HttpError
from shared.wire import backend as bw
from shared.wire import monitor as mw

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class Keep(Enum):
    """``start_audio``'s default: the device in use stays (the field is not sent)."""

    KEEP = "keep"


KEEP: Literal[Keep.KEEP] = Keep.KEEP
DeviceChoice = str | int | None | Literal[Keep.KEEP]


class ServiceStatus(StrEnum):
    UNKNOWN = "unknown"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    OFFLINE = "offline"


class BackendError(HttpError):
    """An HttpError that keeps the backend's JSON error answer: ``field`` names the input at
    fault and ``details`` holds the rest (e.g. ``faces`` when a picture has several)."""

    def __init__(self, message: str, status: int | None, body: dict[str, Any]) -> None:
        super().__init__(message, status)
        if isinstance(body.get("message"), str):
            self.reason = body["message"]  # the backend's own words, for a person
        key, args = body.get("message_key"), body.get("message_args")
        self.message_key: str | None = key if isinstance(key, str) else None  # its catalogue key
        self.message_args: dict[str, Any] = args if isinstance(args, dict) else {}
        self.field: str | None = body.get("field")
        self.details = {
            k: v
            for k, v in body.items()
            if k not in ("error", "message", "message_key", "message_args", "code", "field")
        }


class UnexpectedAnswer(HttpError):
    """The service answered, but not in the shape its contract (``shared.wire``) declares."""


def shape_problem(exc: ValidationError) -> str:
    """``field.path: message`` for the first problem (and how many more there are)."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "(the whole answer)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


class APIClient(HttpClient):
    """Base of both clients: health with latency and a status-change callback.

    ``health_check()`` never raises: it returns True or False and updates ``status``,
    ``version``, ``latency_ms`` and ``last_error``; ``on_status_change(old, new)`` is called
    when the status changes (from the calling thread: a GUI forwards it as a signal).
    """

    health_path = "/health"
    health_model: type[bw.HealthOut] | type[mw.HealthOut] = bw.HealthOut
    peer = "the service"  # in messages: "the backend answered an unexpected shape: ..."

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        retries: int = 1,
        api_key: str | None = None,
        on_status_change: Callable[[ServiceStatus, ServiceStatus], None] | None = None,
    ) -> None:
        super().__init__(base_url, timeout=timeout, retries=retries, backoff=0.2, api_key=api_key)
        self.on_status_change = on_status_change
        self.status = ServiceStatus.UNKNOWN
        self.version: str | None = None
        self.latency_ms: float | None = None
        self.last_error: str | None = None
        self.last_check: float | None = None
        self.last_health: bw.HealthOut | mw.HealthOut | None = None  # the last answer
        self._lock = threading.Lock()

    def _set_status(self, new: ServiceStatus) -> None:
        with self._lock:
            old, self.status = self.status, new
        if old != new and self.on_status_change is not None:
            self.on_status_change(old, new)

    def _typed(self, model: type[M], resp: requests.Response) -> M:
        """The answer's JSON as ``model``; UnexpectedAnswer names the field that does not fit."""
        body = self._json(resp)
        try:  # a newer service may send fields this window does not know: kept, not refused
            return model.model_validate(body, extra="allow")
        except ValidationError as exc:
            method = resp.request.method if resp.request is not None else "?"
            path = resp.request.path_url if resp.request is not None else resp.url
            raise UnexpectedAnswer(
                f"{self.peer} answered an unexpected shape: {shape_problem(exc)} ({method} {path})",
                resp.status_code,
            ) from None

    def get_model(self, model: type[M], path: str, **kwargs: Any) -> M:
        return self._typed(model, self.request("GET", path, **kwargs))

    def post_model(self, model: type[M], path: str, payload: Any = None, **kwargs: Any) -> M:
        return self._typed(model, self.request("POST", path, json=payload, **kwargs))

    def health_check(self) -> bool:
        started = time.perf_counter()
        try:
            body = self.get_model(self.health_model, self.health_path)
        except HttpError as exc:  # UnexpectedAnswer too: it answered, but not as it should
            self.last_error = str(exc)
            self.latency_ms = None
            self._set_status(
                ServiceStatus.OFFLINE if exc.status is None else ServiceStatus.UNHEALTHY
            )
            return False
        finally:
            self.last_check = time.time()
        self.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        self.last_health = body
        self.version = body.version
        healthy = body.status == "healthy"
        reason = getattr(body, "reason", None)  # the monitor says why it is degraded
        self.last_error = (
            None if healthy else f"{self.peer} is {body.status}" + (f": {reason}" if reason else "")
        )
        self._set_status(ServiceStatus.HEALTHY if healthy else ServiceStatus.UNHEALTHY)
        return healthy

    @property
    def is_available(self) -> bool:
        return self.status == ServiceStatus.HEALTHY

    def info(self) -> dict[str, Any]:
        return {
            "url": self.base_url,
            "status": self.status.value,
            "version": self.version,
            "latency_ms": self.latency_ms,
            "last_error": self.last_error,
            "last_check": self.last_check,
        }


class ARBackendClient(APIClient):
    """Every backend endpoint the window uses, each answer typed (``shared.wire.backend``);
    each raises HttpError with the reason.

    The face, output, media and audio-device calls raise BackendError (an HttpError) so a
    caller can read the answer's ``field`` and details (``setup_command`` of a virtual camera
    that cannot start, say); loading a face or an engine takes seconds, hence
    ``slow_timeout``, and an upload may take minutes (``upload_timeout``).
    """

    slow_timeout = 60.0
    upload_timeout = 600.0
    health_model = bw.HealthOut
    peer = "the backend"

    def get_status(self) -> bw.StatusOut:
        return self.get_model(bw.StatusOut, "/status")

    def get_metrics(self) -> bw.MetricsOut:
        return self.get_model(bw.MetricsOut, "/metrics")

    def camera_devices(self) -> list[int]:
        return self.get_model(bw.CameraDeviceListOut, "/camera/devices").devices

    def camera_devices_named(self) -> list[bw.CameraDevice]:
        """The camera devices that open: index, name, path, and ``virtual`` for a virtual
        camera (v4l2loopback, ours among them), which a window should not offer as an input."""
        return self._call(bw.CameraDeviceListOut, "GET", "/camera/devices").named

    def media_files(self) -> bw.MediaListOut:
        """The videos and images a camera can play (``files``: name, kind, size, source) and
        the ``folder`` uploads go to."""
        return self._call(bw.MediaListOut, "GET", "/media")

    def upload_media(self, path: str | Path) -> bw.MediaUploadOut:
        """Send a video or image into the media folder (read here, whole: call it off the GUI
        thread); the answer's ``source`` is what ``start_camera(source=...)`` takes. Refused:
        BackendError with field ``file`` (400 no usable name, 413 too large, 415 not a video
        or image)."""
        path = Path(path)
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return self._call(
            bw.MediaUploadOut,
            "POST",
            "/media",
            files={"file": (path.name, data, mime)},
            timeout=max(self.timeout, self.upload_timeout),
        )

    def start_camera(
        self, device_id: int | None = None, source: str | None = None
    ) -> bw.CameraStartOut:
        body: dict[str, Any] = {}
        if device_id is not None:
            body["device_id"] = device_id
        if source is not None:
            body["source"] = source
        return self.post_model(bw.CameraStartOut, "/api/camera/start", body)

    def stop_camera(self) -> bw.CameraStopOut:
        return self.post_model(bw.CameraStopOut, "/api/camera/stop", {})

    def camera_status(self) -> bw.CameraStatus:
        return self.get_model(bw.CameraStatus, "/api/camera/status")

    def outputs(self) -> bw.OutputsStatus:
        """The preview stream, the virtual camera and the recording (as /status outputs)."""
        return self._call(bw.OutputsStatus, "GET", "/outputs")

    def start_virtual_camera(self) -> bw.VirtualCameraStatus:
        """No device: BackendError (503) whose ``details["setup_command"]`` is the fix."""
        return self._call(bw.VirtualCameraStatus, "POST", "/virtual_camera/start", json={})

    def stop_virtual_camera(self) -> bw.VirtualCameraStatus:
        return self._call(bw.VirtualCameraStatus, "POST", "/virtual_camera/stop", json={})

    def start_recording(self, file_name: str | None = None) -> bw.RecordingStatus:
        """Answers ``file``, ``path``, ``folder``, ``started_at``, ``seconds``; 409 (camera
        not running) and 403 (a name that is not plain) as BackendError."""
        body = {"file_name": file_name} if file_name else {}
        return self._call(bw.RecordingStatus, "POST", "/record/start", json=body)

    def stop_recording(self) -> bw.RecordingStatus:
        """The finished file (``file``, ``path``, ``seconds``, ``frames``) and ``last_file``,
        ``last_path``."""
        return self._call(bw.RecordingStatus, "POST", "/record/stop", json={})

    def snapshot(self) -> bytes:
        """The newest output frame as JPEG bytes (503 before the first frame)."""
        return self._send("GET", "/snapshot.jpg").content

    def audio_devices(self) -> bw.DeviceListOut:
        """Each device PortAudio sees (index, name, inputs, outputs, kind) and the camera
        source playing with sound, if one does (503: no PortAudio)."""
        return self._call(bw.DeviceListOut, "GET", "/audio/devices")

    def start_audio(
        self, input_device: DeviceChoice = KEEP, output_device: DeviceChoice = KEEP
    ) -> bw.AudioStatus:
        """Start the voice. A device (a name or index from ``audio_devices()``) is kept for
        later starts; left out (``KEEP``), the one in use stays; None: back to the configured
        one (else PortAudio's default). Unknown: BackendError 400 naming the field."""
        body: dict[str, Any] = {}
        if input_device is not KEEP:
            body["input_device"] = input_device
        if output_device is not KEEP:
            body["output_device"] = output_device
        return self._call(bw.AudioStatus, "POST", "/audio/start", json=body)

    def stop_audio(self) -> bw.AudioStatus:
        return self.post_model(bw.AudioStatus, "/audio/stop", {})

    def set_audio_effect(self, effect_type: str, params: dict[str, Any]) -> bw.EffectChainOut:
        body = {"type": effect_type, "params": params}
        return self.post_model(bw.EffectChainOut, "/audio/effect", body)

    def remove_audio_effect(self, effect_type: str) -> bw.EffectChainOut:
        """Take an effect out (400 an unknown type, 404 one not in the chain)."""
        path = "/audio/effect/" + quote(effect_type, safe="")
        return self._call(bw.EffectChainOut, "DELETE", path)

    def set_audio_chain(
        self, effects: Sequence[dict[str, Any] | bw.AudioEffect]
    ) -> bw.EffectChainOut:
        """Replace the whole chain, in order ({type, params, bypass} each); a bad entry is
        BackendError naming ``effects.<i>.<field>`` and changes nothing."""
        specs = [
            {"type": e.type, "params": dict(e.params), "bypass": e.bypass}
            if isinstance(e, bw.AudioEffect)
            else e
            for e in effects
        ]
        return self._call(bw.EffectChainOut, "POST", "/audio/chain", json={"effects": specs})

    def audio_status(self) -> bw.AudioStatus:
        return self.get_model(bw.AudioStatus, "/audio/status")

    def personas(self) -> bw.PersonaListOut:
        """The saved personas and the one applied last."""
        return self.get_model(bw.PersonaListOut, "/personas")

    def save_persona(
        self,
        name: str,
        label: str,
        voice: Sequence[dict[str, Any]],
        face: str = "loaded",
        slot: int | None = None,
    ) -> bw.PersonaOut:
        """Save the loaded face (``face="loaded"``; ``"keep"``: none), ``voice`` and ``label``
        under ``name``; a bad part is BackendError naming its field."""
        body: dict[str, Any] = {"name": name, "label": label, "voice": list(voice), "face": face}
        if slot is not None:
            body["slot"] = slot
        return self._call(
            bw.PersonaOut, "POST", "/personas", json=body, timeout=max(self.timeout, 30)
        )

    def delete_persona(self, name: str) -> bw.PersonaListOut:
        return self._call(bw.PersonaListOut, "DELETE", "/personas/" + quote(name, safe=""))

    def apply_persona(self, name: str) -> bw.PersonaApplyOut:
        """Its face, voice and label together (the face may take seconds to prepare)."""
        path = f"/personas/{quote(name, safe='')}/apply"
        timeout = max(self.timeout, self.slow_timeout)
        return self._call(bw.PersonaApplyOut, "POST", path, json={}, timeout=timeout)

    def test_tone(self) -> bw.ToneOut:
        """A short tone on the voice's output device (BackendError 503, with ``fix`` in its
        details, when there is none)."""
        return self.post_model(bw.ToneOut, "/audio/test_tone", {})

    def audio_effect_types(self) -> dict[str, dict[str, bw.EffectParam]]:
        """Per effect type, its parameters with their default and range."""
        return self.get_model(bw.EffectTypesOut, "/audio/effects").effects

    def load_face_model(self, model_path: str) -> bw.FaceLoadOut:
        return self._face_call(
            bw.FaceLoadOut,
            "POST",
            "/face/load",
            json={"model_path": model_path},
            timeout=max(self.timeout, self.slow_timeout),
        )

    def start_face_swap(self) -> bw.FaceStatus:
        return self._face_call(bw.FaceStatus, "POST", "/face/start", json={})

    def stop_face_swap(self) -> bw.FaceStatus:
        return self._face_call(bw.FaceStatus, "POST", "/face/stop", json={})

    def unload_face(self) -> bw.FaceSource:
        """Forget the loaded face (``loaded: false``); a swap left on has nothing to draw."""
        return self._call(bw.FaceSource, "DELETE", "/face/load")

    def upload_face(self, path: str | Path, face_index: int | None = None) -> bw.FaceLoadOut:
        """Send a picture as the source face (read here: call it off the GUI thread).

        Several faces and no ``face_index``: BackendError with field ``face_index`` and
        ``details["faces"]`` [{index, x, y, width, height}], index 0 the leftmost."""
        path = Path(path)
        data = path.read_bytes()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        form = {} if face_index is None else {"face_index": str(face_index)}
        return self._face_call(
            bw.FaceLoadOut,
            "POST",
            "/face/load",
            files={"image": (path.name, data, mime)},
            data=form,
            timeout=max(self.timeout, self.slow_timeout),
        )

    def face_status(self) -> bw.FaceStatusOut:
        return self._face_call(bw.FaceStatusOut, "GET", "/face/status")

    def face_engines(self) -> bw.EnginesOut:
        """Each engine (name, description, available, reason, active) and the active one."""
        return self._face_call(bw.EnginesOut, "GET", "/face/engines")

    def face_settings(self, **changes: Any) -> bw.FaceStatus:
        """Any of engine, many_faces, mouth_mask, blend, detect_every, detect_size, smoothing,
        shape_strength; a refused change changes nothing (an unavailable engine: 503)."""
        slow = "engine" in changes  # a new engine loads its models and re-reads the face
        timeout = max(self.timeout, self.slow_timeout) if slow else self.timeout
        return self._face_call(
            bw.FaceStatus, "POST", "/face/settings", json=changes, timeout=timeout
        )

    # ---- the background behind the person ----------------------------------------------------

    def background_status(self) -> bw.BackgroundStatus:
        """The background: mode, blur, color, image, whether it can run here (``reason``
        when not), its cost per frame (``ms``), a fault (``error``)."""
        return self._call(bw.BackgroundStatus, "GET", "/background")

    def set_background(self, **changes: Any) -> bw.BackgroundStatus:
        """Any of mode (off, blur, color, image), blur (0..1), color (#rrggbb), image (a
        picture in the media folders, by name); all or none apply. Refused: BackendError
        naming the field (400, 403 outside the media folders, 404, 413, 503 ``mode`` when
        person segmentation cannot run, with the reason)."""
        slow = changes.get("mode") not in (None, "off")  # the first use opens the model
        timeout = max(self.timeout, self.slow_timeout) if slow else self.timeout
        return self._call(bw.BackgroundStatus, "POST", "/background", json=changes, timeout=timeout)

    # ---- model files (the manifest's models: state, licence, background downloads) ---------

    def models(self) -> bw.ModelsOut:
        """Every model in the backend's manifest: description, licence, what uses it, each
        file's state (present, missing, corrupt, unverified, downloading with bytes_done and
        bytes_total) and its last fetch (downloading, done, failed with the error, cancelled).
        An unreadable manifest: BackendError 503. The backend hashes a file it has not seen
        yet (seconds for a large one), hence ``slow_timeout``."""
        return self._call(
            bw.ModelsOut, "GET", "/models", timeout=max(self.timeout, self.slow_timeout)
        )

    def fetch_model(self, name: str) -> bw.ModelOut:
        """Start downloading a model's files on the backend (202 at once; ``models()`` shows
        the progress). An unknown name: BackendError 404 with field ``name``."""
        return self._call(bw.ModelOut, "POST", f"/models/{quote(name, safe='')}/fetch", json={})

    def cancel_model_fetch(self, name: str) -> bw.ModelOut:
        """Stop a model's download (what was downloaded is kept to resume); answers the
        model with ``fetch.state`` cancelled."""
        path = f"/models/{quote(name, safe='')}/cancel"
        return self._call(bw.ModelOut, "POST", path, json={}, timeout=max(self.timeout, 15.0))

    # ---- file jobs (a whole video or picture swapped on the backend, in a queue) ----------

    def create_job(
        self,
        input_file: str | Path,
        face: str | Path = "loaded",
        face_index: int | None = None,
        engine: str | None = None,
        options: dict[str, Any] | None = None,
        output: str | None = None,
        quality: int | None = None,
        background: dict[str, Any] | None = None,
    ) -> bw.JobOut:
        """Queue a file job (202). ``input_file``: a local file (a ``Path``, or a text naming a
        file that exists here), uploaded with the request; else the name of a file in the
        backend's media folder. ``face``: ``"loaded"`` (the face the studio holds), a local
        picture (uploaded), or the name of a picture the backend has. ``background``: any of
        POST /background's fields (None: the studio's background). A refusal is BackendError
        naming the field (``input``, ``face``, ``face_index``, ``quality``,
        ``background.mode``...). Reads the files here, whole: call it off the GUI thread."""
        fields: dict[str, Any] = {"options": dict(options or {})}
        if background is not None:
            fields["background"] = dict(background)
        if engine:
            fields["engine"] = engine
        if face_index is not None:
            fields["face_index"] = face_index
        if output:
            fields["output"] = output
        if quality is not None:
            fields["quality"] = quality
        in_file, face_file = _local_file(input_file), None
        if not (isinstance(face, str) and face == "loaded"):
            face_file = _local_file(face)
        if in_file is None and face_file is None:  # names only: a JSON body
            body = {"input": str(input_file), "face": str(face), **fields}
            return self._call(bw.JobOut, "POST", "/jobs", json=body)
        files: dict[str, tuple[str, bytes, str]] = {}
        form: dict[str, str] = {"options": json.dumps(fields["options"])}
        if "background" in fields:
            form["background"] = json.dumps(fields["background"])
        for key in ("engine", "face_index", "output", "quality"):
            if key in fields:
                form[key] = str(fields[key])
        if in_file is not None:
            files["input"] = _upload(in_file)
        else:
            form["input"] = str(input_file)
        if face_file is not None:
            files["face"] = _upload(face_file)
        else:
            form["face"] = str(face)
        return self._call(
            bw.JobOut,
            "POST",
            "/jobs",
            files=files,
            data=form,
            timeout=max(self.timeout, self.upload_timeout),
        )

    def jobs(self) -> bw.JobListOut:
        """Every job, newest first (``jobs``), and how many are in each state (``counts``)."""
        return self._call(bw.JobListOut, "GET", "/jobs")

    def job(self, job_id: str) -> bw.JobOut:
        return self._call(bw.JobOut, "GET", "/jobs/" + quote(job_id, safe=""))

    def cancel_job(self, job_id: str) -> bw.JobOut:
        """Stop a queued or running job (it ends ``cancelled``; a partial output is removed)."""
        return self._call(bw.JobOut, "POST", f"/jobs/{quote(job_id, safe='')}/cancel", json={})

    def retry_job(self, job_id: str) -> bw.JobOut:
        """Queue a failed, cancelled or interrupted job again."""
        return self._call(bw.JobOut, "POST", f"/jobs/{quote(job_id, safe='')}/retry", json={})

    def delete_job(self, job_id: str, output: bool = False) -> bw.JobDeleteOut:
        """Forget a job (409 while it runs); ``output=True`` removes its output file too."""
        params = {"output": "true" if output else "false"}
        path = "/jobs/" + quote(job_id, safe="")
        return self._call(bw.JobDeleteOut, "DELETE", path, params=params)

    def download_job_output(self, job_id: str, dest: str | Path) -> Path:
        """Save a done job's output file at ``dest`` (written then renamed); for a backend on
        another machine, whose ``output_path`` is not a path here."""
        dest = Path(dest)
        resp = self._send(
            "GET",
            f"/jobs/{quote(job_id, safe='')}/output",
            stream=True,
            timeout=max(self.timeout, self.upload_timeout),
        )
        part = dest.with_name(dest.name + ".part")
        with part.open("wb") as f:
            for chunk in resp.iter_content(1 << 20):
                f.write(chunk)
        part.replace(dest)
        return dest

    def _call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """A request answered as ``model``; an error answer is BackendError (field, details)."""
        return self._typed(model, self._send(method, path, **kwargs))

    _face_call = _call

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request whose error answer is kept: BackendError carries its field and details."""
        answers: list[requests.Response] = []
        kwargs["hooks"] = {"response": lambda resp, *_a, **_k: answers.append(resp)}
        try:
            resp = self.request(method, path, **kwargs)
        except HttpError as exc:
            if exc.status is None or not answers:
                raise
            try:
                body = answers[-1].json()
            except ValueError:
                raise exc from None
            if not isinstance(body, dict):
                raise
            raise BackendError(str(exc), exc.status, body) from None
        return resp

    def report_status(self, status: dict[str, Any]) -> bw.ReportOut:
        return self.post_model(bw.ReportOut, "/monitor/report", status)

    @property
    def video_feed_url(self) -> str:
        return self.base_url + "/video_feed"

    def preview_url(self, width: int | None) -> str:
        """The preview stream encoded ``width`` px wide (the size it is shown at)."""
        return self.video_feed_url + (f"?width={width}" if width else "")


class MonitorClient(APIClient):
    """What the window reads from the monitor, typed (``shared.wire.monitor``)."""

    health_path = "/api/health"
    health_model = mw.HealthOut
    peer = "the monitor"

    def nodes(self) -> list[mw.NodeView]:
        return self.get_model(mw.NodeListOut, "/api/ar/nodes").nodes

    def node(self, node_id: str) -> mw.NodeDetailOut:
        return self.get_model(mw.NodeDetailOut, f"/api/ar/nodes/{node_id}")

    def alerts(self) -> list[mw.AlertView]:
        return self.get_model(mw.AlertListOut, "/api/alerts").alerts

    def acknowledge_alert(
        self, alert_id: int, by: str, reason: str | None = None
    ) -> mw.AcknowledgeOut:
        body: dict[str, Any] = {"by": by}
        if reason:
            body["reason"] = reason
        return self.post_model(mw.AcknowledgeOut, f"/api/alerts/{alert_id}/acknowledge", body)


def _local_file(value: str | Path) -> Path | None:
    """``value`` as a file on this machine to upload: a ``Path`` always; a text when it names a
    file that exists here (else it is a name the backend knows)."""
    if isinstance(value, Path):
        return value
    path = Path(value)
    return path if value and path.is_file() else None


def _upload(path: Path) -> tuple[str, bytes, str]:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return (path.name, path.read_bytes(), mime)
