"""The live voice path: a PortAudio duplex stream (sounddevice) running the effect chain.

Input device -> effect chain -> output device (a virtual microphone for Zoom or OBS: on Linux a
PulseAudio/PipeWire null sink, see scripts/setup_virtual_mic.sh). Where PortAudio or a device
is missing, ``start()`` raises :class:`AudioUnavailable` saying what is missing and how to
fix it; nothing else in the backend is touched.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ar_backend.audio.chain import EffectChain
from ar_backend.config import AudioConfig
from shared.messages import KeyedError, Message, msg, text_fields
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


DEVICE_FIELDS = {"input_device": "input", "output_device": "output"}
# the virtual microphone for Zoom and OBS (PulseAudio or PipeWire's pulse server)
SETUP_MIC = "bash " + str(Path(__file__).resolve().parents[2] / "scripts" / "setup_virtual_mic.sh")


class AudioUnavailable(KeyedError):
    """No PortAudio or no device: the message says what is missing and how to fix it."""


class NoSuchAudioDevice(ValueError):
    """A device named in a request that PortAudio does not list (or that has no channels of
    that direction); ``field`` names the request's field. Nothing changed."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def find_device(devices: Any, choice: str | int, kind: str) -> int:
    """The index of the ``kind`` (``input`` or ``output``) device ``choice`` names: an index,
    a device's whole name (case ignored), or a part of exactly one name; the device must have
    channels in that direction. ``LookupError`` saying why otherwise."""
    channels = f"max_{kind}_channels"
    listed = [(i, str(d["name"]), int(d[channels])) for i, d in enumerate(devices)]
    have = [name for _i, name, n in listed if n > 0]
    known = (
        f"the {kind} devices are: {', '.join(repr(n) for n in have)}"
        if have
        else f"PortAudio sees no {kind} device (GET /audio/devices)"
    )
    if isinstance(choice, int):
        if not 0 <= choice < len(listed):
            raise LookupError(f"there is no audio device {choice}; {known}")
        if listed[choice][2] <= 0:
            raise LookupError(f"audio device {choice} has no {kind} channels; {known}")
        return choice
    wanted = choice.casefold()
    exact = [(i, n) for i, name, n in listed if name.casefold() == wanted]
    if exact:
        usable = [i for i, n in exact if n > 0]
        if not usable:
            raise LookupError(f"audio device {choice!r} has no {kind} channels; {known}")
        return usable[0]  # the same name twice (two of one model): the first
    partial = [i for i, name, n in listed if wanted in name.casefold() and n > 0]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(repr(listed[i][1]) for i in partial)
        raise LookupError(f"{choice!r} names several {kind} devices ({names}): give the whole name")
    raise LookupError(f"no {kind} audio device is named {choice!r}; {known}")


PORTAUDIO_START_S = 8.0  # importing sounddevice starts PortAudio: longer than this is a hang


class _Loader:
    """sounddevice, imported once on a thread of its own: starting PortAudio can hang for
    good (a JACK database lock left in /dev/shm by a process killed while it started), and
    a hung import must not hang the API with it. Callers wait PORTAUDIO_START_S at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.module: Any = None
        self.error: AudioUnavailable | None = None

    def _load(self) -> None:
        try:
            import sounddevice

            self.module = sounddevice
        except OSError as exc:  # the Python module is there, the PortAudio library is not
            self.error = AudioUnavailable(
                msg(
                    "audio.no_portaudio",
                    command="sudo apt-get install libportaudio2",
                    detail=str(exc),
                )
            )
        except ImportError as exc:
            pip = shlex.join([sys.executable, "-m", "pip", "install", "sounddevice"])
            self.error = AudioUnavailable(msg("audio.no_sounddevice", command=pip, detail=str(exc)))
        finally:
            self._done.set()

    def get(self, timeout: float = PORTAUDIO_START_S) -> Any:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._load, name="portaudio-start", daemon=True
                )
                self._thread.start()
        if not self._done.wait(timeout):
            raise AudioUnavailable(msg("audio.portaudio_hung", seconds=timeout))
        if self.error is not None:
            raise self.error
        return self.module


_LOADER = _Loader()


def _sounddevice() -> Any:
    return _LOADER.get()


class AudioEngine:
    """Owner of the stream. ``status()`` never opens a device."""

    def __init__(self, cfg: AudioConfig) -> None:
        self.cfg = cfg
        self.chain = EffectChain(cfg.sample_rate, cfg.channels, cfg.max_effects)
        if cfg.effects:
            self.chain.set_chain([e.model_dump() for e in cfg.effects])
        self._stream: Any = None
        self._lock = threading.Lock()
        # the devices in use: the config's, until POST /audio/start names others (kept for
        # the process's life); a name or an index, None for PortAudio's default
        self.input_device: str | int | None = cfg.input_device
        self.output_device: str | int | None = cfg.output_device
        self.error: Message | None = None
        self.started_at: float | None = None
        self.blocks = 0
        self.input_overflows = 0
        self.output_underflows = 0
        self.level_dbfs: float | None = None
        self.callback_ms = 0.0
        self.restarts = 0
        self._watch_delay = 0.5  # backs off while the device will not reopen
        self._watch = PeriodicWorker(
            "audio-watch", self._reopen_if_ended, lambda: self._watch_delay, logger=log
        )

    def devices(self) -> list[dict[str, Any]]:
        sd = _sounddevice()
        try:
            found = sd.query_devices()
            default_in, default_out = (int(i) for i in sd.default.device)
        except Exception as exc:  # PortAudioError: the library is there but cannot list
            raise AudioUnavailable(f"PortAudio cannot list devices: {exc}") from exc
        listed = []
        for i, d in enumerate(found):
            inputs, outputs = int(d["max_input_channels"]), int(d["max_output_channels"])
            kind = "duplex" if inputs and outputs else ("input" if inputs else "output")
            listed.append(
                {
                    "index": i,
                    "name": d["name"],
                    "inputs": inputs,
                    "outputs": outputs,
                    "kind": kind,
                    "default_rate": d["default_samplerate"],
                    "default_input": i == default_in,
                    "default_output": i == default_out,
                }
            )
        return listed

    def _callback(
        self, indata: np.ndarray, outdata: np.ndarray, frames: int, _t: Any, status: Any
    ) -> None:
        started = time.perf_counter()
        if status.input_overflow:
            self.input_overflows += 1
        if status.output_underflow:
            self.output_underflows += 1
        peak = float(np.abs(indata).max()) if frames else 0.0
        self.level_dbfs = round(20 * math.log10(peak), 1) if peak > 0 else -120.0
        outdata[:] = self.chain.process(indata)
        self.blocks += 1
        self.callback_ms = (time.perf_counter() - started) * 1000

    def start(self, devices: dict[str, str | int | None] | None = None) -> dict[str, Any]:
        """Run the stream. ``devices`` may name ``input_device`` and ``output_device`` (a name
        or an index; None: back to the configured one, else PortAudio's default); a device
        PortAudio does not list is :class:`NoSuchAudioDevice` and changes nothing. Named
        devices stay chosen for later starts; other devices while it runs: it moves to them."""
        wanted = dict(devices or {})
        with self._lock:
            if self._stream is not None and not wanted:
                return self.status()
            try:
                sd = _sounddevice()
                listed = sd.query_devices()
            except AudioUnavailable as exc:
                self._unavailable(exc.keyed)
                raise
            except Exception as exc:
                raise AudioUnavailable(
                    self._unavailable(msg("audio.cannot_list", detail=str(exc)))
                ) from exc
            choice = {
                "input_device": self.input_device,
                "output_device": self.output_device,
            }
            for field, value in wanted.items():
                kind = DEVICE_FIELDS[field]
                if value is None:
                    value = self.cfg.input_device if kind == "input" else self.cfg.output_device
                else:
                    try:
                        find_device(listed, value, kind)
                    except LookupError as exc:
                        raise NoSuchAudioDevice(f"{field}: {exc}", field) from None
                choice[field] = value
            moved = (choice["input_device"], choice["output_device"]) != (
                self.input_device,
                self.output_device,
            )
            self.input_device, self.output_device = choice["input_device"], choice["output_device"]
            if self._stream is not None:
                if not moved:
                    return self.status()
                self._close_stream()
                log.info("audio moves to %s -> %s", self.input_device, self.output_device)
            if len(listed) == 0:
                raise AudioUnavailable(self._unavailable(msg("audio.no_device", command=SETUP_MIC)))
            self._stream = self._open(sd)
            self.error = None
            self.started_at = time.time()
            self._watch_delay = 0.5
            self._watch.start()
            log.info("audio running: %s", self.chain.describe())
            return self.status()

    def _unavailable(self, reason: Message) -> Message:
        """Note why audio cannot run (status says ``unavailable``) unless a stream runs."""
        if self._stream is None:
            self.error = reason
        return reason

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        with contextlib.suppress(Exception):  # a stream whose device went away
            stream.stop()
        with contextlib.suppress(Exception):
            stream.close()

    def _open(self, sd: Any) -> Any:
        try:
            listed = sd.query_devices()
            device = tuple(
                None if choice is None else find_device(listed, choice, kind)
                for choice, kind in (
                    (self.input_device, "input"),
                    (self.output_device, "output"),
                )
            )
            stream = sd.Stream(
                samplerate=self.cfg.sample_rate,
                blocksize=self.cfg.block_size,
                channels=self.cfg.channels,
                dtype="float32",
                device=device,
                latency="low",
                callback=self._callback,
            )
            stream.start()
        except Exception as exc:  # LookupError, PortAudioError, a device gone
            self.error = msg("audio.stream_failed", detail=str(exc))
            raise AudioUnavailable(self.error) from exc
        return stream

    def _reopen_if_ended(self) -> None:
        """One round of the ``audio-watch`` thread. PortAudio ends a stream whose device fails
        (an ALSA or PulseAudio error) without telling anyone: reopen it, logging the fault
        once and the recovery once, backing off while it will not open."""
        with self._lock:
            stream = self._stream
            if stream is None or self._watch.stopping or stream.active:
                self._watch_delay = 0.5
                return
            if self.error is None:
                log.warning("the audio stream stopped (device error); reopening it")
            with contextlib.suppress(Exception):  # it is gone already
                stream.close()
            try:
                self._stream = self._open(_sounddevice())
            except AudioUnavailable:  # self.error says why; try again later
                self._watch_delay = min(self._watch_delay * 2, 5.0)
                return
            self.restarts += 1
            self.error = None
            log.info("the audio stream is back (restart %d)", self.restarts)

    def stop(self) -> dict[str, Any]:
        self._watch.stop(timeout=5)
        with self._lock:
            if self._stream is not None:
                self._stream.stop()
                self._stream.close()
                self._stream = None
                log.info("audio stopped")
            return self.status()

    def status(self) -> dict[str, Any]:
        stream = self._stream
        latency = None
        if stream is not None:
            lat = stream.latency
            latency = (
                [round(v * 1000, 2) for v in lat]
                if isinstance(lat, tuple)
                else round(lat * 1000, 2)
            )
        return {
            "state": ("reconnecting" if self.error else "running")
            if stream is not None
            else ("unavailable" if self.error else "stopped"),
            **text_fields("error", self.error),
            "sample_rate": self.cfg.sample_rate,
            "block_size": self.cfg.block_size,
            "channels": self.cfg.channels,
            "input_device": self.input_device,
            "output_device": self.output_device,
            "effects": self.chain.describe(),
            "effects_latency_ms": self.chain.latency_ms,
            "stream_latency_ms": latency,
            "level_dbfs": self.level_dbfs,
            "blocks": self.blocks,
            "input_overflows": self.input_overflows,
            "output_underflows": self.output_underflows,
            "callback_ms": round(self.callback_ms, 3),
            "restarts": self.restarts,
        }
