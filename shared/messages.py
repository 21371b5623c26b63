"""The texts a person reads, by key: one catalogue, the English written once.

Wherever a service sends a human-readable text field ``X`` (an error's ``message``, a status
``error``, ``note`` or ``reason``, a source face's notes, an alert's ``message``), it also sends
``X_key`` (a stable dotted key from :data:`CATALOGUE`, such as ``vcam.no_device``) and
``X_args`` (the named parameters, JSON values). The English ``X`` is rendered from the
catalogue; a client in another language renders the key and args from its own catalogue
(the window: ``user_gui``'s), and falls back to ``X`` for a key it does not know.

Code says::

    msg("picture.too_many_pixels", width=30000, height=30000, ...)   # a Message
    raise SomeError(msg(...))                                         # str(exc) is the English
    {**text_fields("error", message)}        # {"error": ..., "error_key": ..., "error_args": ...}

A key's template names its parameters in braces (``{width}``), with an optional format spec
(``{seconds:.0f}``). Keys never change meaning; a new wording that needs other parameters is a
new key. Text that has no key of its own yet (a library's words, a check's details) goes out
under ``text`` with the text as its one parameter, so every ``X`` has its siblings.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]

# key -> English template. Grouped by where a person meets them; keep them short and say what
# to do, in a person's words.
CATALOGUE: dict[str, str] = {
    # ---- any text that has no key of its own (a library's words, a detail) ------------------
    "text": "{text}",
    # ---- the JSON error envelope (shared/api.py) ----------------------------------------------
    "error.field": "{field}: {detail}",
    "error.not_found": "no such resource: {path}",
    "error.body_too_large": "request body is larger than {limit} bytes",
    "error.http": "{detail}",
    "error.internal": "the server failed to answer this request; see its log",
    "error.api_key_missing": "this endpoint needs an API key (X-API-Key or Authorization: Bearer)",
    "error.api_key_wrong": (
        "this endpoint needs a valid API key (X-API-Key or Authorization: Bearer)"
    ),
    "error.upload_too_large": "the file is larger than {key} ({limit_mb:g} MB)",
    # ---- pictures and videos whose size is over the limit (item: a header decides memory) --
    "picture.too_many_pixels": (
        "the picture is {width}x{height} px ({megapixels:.1f} megapixels); at most "
        "{limit_megapixels:g} megapixels are taken ({key})"
    ),
    "picture.too_many_pixels_unknown": (
        "the picture claims more than {limit_megapixels:g} megapixels; at most "
        "{limit_megapixels:g} are taken ({key})"
    ),
    "picture.unreadable": "{name} is not a picture whose size can be read ({detail})",
    "video.too_many_pixels": (
        "the video's frames are {width}x{height} px ({megapixels:.1f} megapixels); at most "
        "{limit_megapixels:g} megapixels are taken ({key})"
    ),
    "video.unreadable": "{name} is not a video whose frame size can be read ({detail})",
    "video.size_unknown": (
        "the frames of {name} hold more than {limit_megapixels:g} megapixels ({key}), or "
        "cannot be read; at most {limit_megapixels:g} megapixels are taken"
    ),
    # ---- face pictures (POST /face/load, /face/reference, /face/map) -----------------------
    "face.image_too_large": "the image is {size_mb:.1f} MB; at most {limit_mb:g} MB ({key})",
    "face.image_too_large_side": (
        "the image is {width}x{height} px; at most {max_side} px a side (face.max_side)"
    ),
    "face.image_claims_too_large": (
        "the image claims a size too large to read; at most {max_side} px a side (face.max_side)"
    ),
    "face.upload_too_large": (
        "the upload is {size_mb:.1f} MB; at most {total_mb:g} MB in one request ({count} "
        "pictures of at most {limit_mb:g} MB, {key})"
    ),
    "face.note.upscaled": "source face is {size:.0f} px: upscaled x{scale:.2f} with sharpening",
    "face.note.small_for_recognizer": (
        "source face is {size:.0f} px: the recognizer reads it at {read_px} px; a larger photo "
        "gives a closer likeness"
    ),
    "face.still_restoring": (
        "the face state saved before the restart is still being restored ({seconds} s so "
        "far): try again in a moment"
    ),
    "face.enhancer_too_slow": (
        "the enhancer takes {ms:.0f} ms per frame here (budget {budget:g} ms): live video will "
        "drop frames; use it for file jobs (Files tab) instead"
    ),
    "gpu.partly_unavailable": "{missing} not available here; running on {running}",
    "gpu.cpu_fallback": (
        "asked for {asked} but running on {running}: the GPU provider is not installed or "
        "failed to start (pip install onnxruntime-gpu, and check the CUDA and cuDNN "
        "libraries); expect a much lower frame rate"
    ),
    # ---- personas (ar_backend/personas.py) --------------------------------------------------
    "persona.bad_name": (
        "{field}: a persona's name is 1-40 letters, digits, spaces, _ or -, starting and "
        "ending with a letter or digit (no path characters)"
    ),
    "persona.not_found": "name: there is no persona {name!r}",
    "persona.read_only": "personas are read-only: {reason}",
    "persona.unreadable": "{path} could not be read ({detail}); it is kept and not overwritten",
    "persona.too_many": "name: at most {limit} personas; delete one first",
    "persona.bad_voice": "{field}: {detail}",
    "persona.no_face_loaded": 'face: no face is loaded (POST /face/load), or send "keep"',
    "persona.face_unreadable": "name: {name}'s face files cannot be read ({detail})",
    # ---- the quality governor's levels (ar_backend/governor.py, knobs.py) --------------------
    "governor.holding": "holding {fps:g} fps: {what}",
    "governor.enhancer_on": "enhancer on",
    "governor.enhancer_paused": "enhancer paused",
    "governor.detection_full": "detection at full size",
    "governor.detection_at": "detection at {px} px",
    "governor.detection_every_frame": "faces looked for on every frame",
    "governor.detection_every_other": "faces looked for on every other frame",
    "governor.face_full": "face rendered at full size",
    "governor.face_at": "face rendered at {px} px",
    "governor.occlusion_full": "occlusion in full",
    "governor.occlusion_people_half": "occlusion: person outline every other frame",
    "governor.occlusion_hands_less": "occlusion: hands looked for less often",
    "governor.occlusion_every_other": "occlusion: worked out every other frame",
    "governor.preview_full": "preview full",
    "governor.preview_quality": "preview quality {quality}",
    "governor.preview_small": "preview at {width} px, quality {quality}",
    "governor.preview_slow": "preview at {width} px, quality {quality}, {fps} fps",
    # ---- camera ------------------------------------------------------------------------------
    "camera.permission_denied": (
        "The camera {path} is there, but this user may not open it: run {command}, then log "
        "out and in again."
    ),
    "camera.connecting": "connecting to {source}: {reason}",
    "camera.reconnecting": "reconnecting to {source}: {reason}",
    "camera.stopped_delivering": "{source} stopped delivering frames; reconnecting",
    "camera.device_not_open": (
        "{label} does not open (no camera there, or it is in use by another program); "
        "GET /camera/devices lists the ones that do"
    ),
    # ---- the monitor: node states and alerts (yl_monitor) --------------------------------------
    "state.paused": "paused by API",
    "state.held_back": (
        "no beat stored for {age:.0f} s; not offline: the monitor could not store beats "
        "{fault_ago:.0f} s ago"
    ),
    "state.offline.no_sign_of_life": (
        "no sign of life for {age:.0f} s (expected every {interval:g} s)"
    ),
    "state.offline.no_beat": "no beat for {age:.0f} s (expected every {interval:g} s)",
    "state.late": "beat overdue by {overdue:.1f} s",
    "state.new": "registered, no beat yet",
    "state.online": "beating on time",
    "alert.offline.no_sign_of_life": (
        "{node} is offline: no sign of life for {age:.0f} s (expected every {interval:g} s)"
    ),
    "alert.offline.no_beat": (
        "{node} is offline: no beat for {age:.0f} s (expected every {interval:g} s)"
    ),
    "alert.health_check": "{node} health check failing ({failures} in a row): {error}",
    "alert.cpu_high": "{node} CPU at {cpu_percent}% for {beats} beats (threshold {threshold:g}%)",
    "alert.memory_high": "{node} memory high for {beats} beats",
    "monitor.storage_refuses": "storage refuses heartbeats: {fault}",
    # ---- voice (PortAudio) -----------------------------------------------------------------
    "audio.no_portaudio": "PortAudio is not installed: run {command} ({detail})",
    "audio.no_sounddevice": "The sounddevice package is missing: run {command} ({detail})",
    "audio.portaudio_hung": (
        "PortAudio did not start within {seconds:g} s: a sound server that does not answer, "
        "or a stale JACK lock (remove /dev/shm/jack_db-* and restart)"
    ),
    "audio.cannot_list": "PortAudio cannot list the audio devices: {detail}",
    "audio.no_device": (
        "no audio device: no sound card, and no PulseAudio or PipeWire server; start the "
        "sound server, or make a virtual microphone: {command}"
    ),
    "audio.stream_failed": "The audio stream did not open: {detail}",
    "audio.recordings_only": (
        "The voice runs without an output device ({detail}): the changed voice goes to "
        "recordings only"
    ),
    "audio.no_output_device": "PortAudio sees no output device (no sound card, no sound server)",
    "audio.output_failed": "the output device did not open: {detail}",
    "audio.source_voice_stopped": "The voice from the video source stopped: {detail}",
    # ---- the virtual camera ------------------------------------------------------------------
    "vcam.no_device": "No virtual camera device yet: run {command} once, then start it again.",
    "vcam.no_device_other": (
        "No virtual camera device: start OBS Studio's virtual camera once, then try again."
    ),
    "vcam.no_pyvirtualcam": "The pyvirtualcam package is missing: run {command}",
    "vcam.stopped": "The virtual camera stopped: {detail}",
    "sink.stopped": "The output stopped: {detail}",
    "recording.stopped": "The recording stopped: {detail}",
}

_FORMATTER = string.Formatter()


class UnknownMessage(KeyError):
    """A key the catalogue does not hold, or arguments that do not fit its template."""


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses (``{width}`` -> ``width``)."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def render(key: str, args: Mapping[str, Any], catalogue: Mapping[str, str] = CATALOGUE) -> str:
    """The text of ``key`` with ``args`` (:class:`UnknownMessage` for an unknown key or a
    missing parameter)."""
    try:
        template = catalogue[key]
    except KeyError:
        raise UnknownMessage(f"no message {key!r} in the catalogue") from None
    try:
        return template.format_map(args)
    except (KeyError, ValueError, IndexError) as exc:
        problem = f"message {key!r} cannot be rendered with {dict(args)}: {exc}"
        raise UnknownMessage(problem) from None


@dataclass(frozen=True)
class Message:
    """A catalogue key with its parameters; ``str()`` is the English text."""

    key: str
    args: dict[str, JsonValue] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.key, self.args)

    def fields(self, name: str) -> dict[str, Any]:
        """``{name: text, name_key: key, name_args: args}`` for an answer."""
        return {name: str(self), f"{name}_key": self.key, f"{name}_args": dict(self.args)}


def msg(key: str, /, **args: JsonValue) -> Message:
    """The message ``key`` with ``args``, checked now: an unknown key or a parameter its
    template lacks or does not use is :class:`UnknownMessage` (a bug, found by the tests)."""
    try:
        wanted = placeholders(CATALOGUE[key])
    except KeyError:
        raise UnknownMessage(f"no message {key!r} in the catalogue") from None
    if wanted != set(args):
        raise UnknownMessage(f"message {key!r} takes {sorted(wanted)}, not {sorted(args)}")
    message = Message(key, dict(args))
    str(message)  # a format spec that does not fit a value fails here, not in an answer
    return message


def as_message(value: Message | str) -> Message:
    """``value`` as a Message: text without a key of its own goes out under ``text``."""
    return value if isinstance(value, Message) else Message("text", {"text": value})


def text_fields(name: str, value: Message | str | None) -> dict[str, Any]:
    """``{name, name_key, name_args}`` for a status field (all three None for no text)."""
    if value is None:
        return {name: None, f"{name}_key": None, f"{name}_args": None}
    return as_message(value).fields(name)


def list_fields(name: str, values: list[Message | str]) -> dict[str, Any]:
    """For a list of texts ``name``: ``name``, ``name_key`` and ``name_args`` as three
    parallel lists."""
    messages = [as_message(v) for v in values]
    return {
        name: [str(m) for m in messages],
        f"{name}_key": [m.key for m in messages],
        f"{name}_args": [dict(m.args) for m in messages],
    }


def message_of(exc: BaseException) -> Message:
    """The Message an exception carries (its ``keyed`` attribute), else its text under
    ``text``."""
    carried = getattr(exc, "keyed", None)
    if isinstance(carried, Message):
        return carried
    return Message("text", {"text": str(exc)})


class KeyedError(Exception):
    """An exception whose text is a catalogue message (``keyed``); ``str(exc)`` is its
    English. Domain errors derive from it so the API answers their key and args."""

    def __init__(self, message: Message | str) -> None:
        self.keyed = as_message(message)
        super().__init__(str(self.keyed))
