"""The live voice path: a PortAudio duplex stream (sounddevice) running the effect chain.

Input device -> effect chain -> output device (a virtual microphone for Zoom or OBS: on Linux a
PulseAudio/PipeWire null sink, see scripts/setup_virtual_mic.sh). Where PortAudio or a device
is missing, ``start()`` raises :class:`AudioUnavailable` saying what is missing and how to
fix it; nothing else in the backend is touched.

The input device ``"source"`` is the sound of the video source (a file with an audio track,
source_voice.py): no microphone is opened, the output device is used when there is one, and
the recording gets the changed voice either way. Every block of the changed voice goes to
``tap`` (the recorder) with the capture time of its first sample, and to the output delayed by
the A/V offset (sync.py) so lips and voice match.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shlex
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ar_backend.audio.chain import EffectChain
from ar_backend.audio.sound_fix import sound_fix
from ar_backend.audio.source_voice import Playback, SourceVoice
from ar_backend.audio.sync import AvSync, DelayLine
from ar_backend.audio.test_tone import NoToneDevice, play_tone
from ar_backend.config import AudioConfig
from ar_backend.sources.sound import SourceSound
from shared.messages import KeyedError, Message, msg, text_fields
from shared.wire.backend import AudioDevice, AudioStatus, DeviceListOut, ToneOut
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


DEVICE_FIELDS = {"input_device": "input", "output_device": "output"}
# the virtual microphone for Zoom and OBS (PulseAudio or PipeWire's pulse server)
SETUP_MIC = "bash " + str(Path(__file__).resolve().parents[2] / "scripts" / "setup_virtual_mic.sh")
SOURCE = "source"  # the input device that is the video source's sound

Tap = Callable[[np.ndarray, float], None]


class AudioUnavailable(KeyedError):
    """No PortAudio or no device: the message says what is missing and how to fix it;
    ``details`` (added to the API's 503) carries ``fix``: what is missing on this system and
    the command that fixes it (sound_fix.py)."""

    def __init__(self, message: Message | str) -> None:
        super().__init__(message)
        self.details = {"fix": sound_fix(self.keyed)}


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

    def __init__(self, cfg: AudioConfig, sound: SourceSound | None = None) -> None:
        self.cfg = cfg
        self.sound = sound or SourceSound(cfg.sample_rate, cfg.channels)
        self.tap: Tap | None = None  # the recorder, while one takes the voice
        # the video path's latency now (ms; None while no frames): set by the studio
        self.video_latency_ms: Callable[[], float | None] = lambda: None
        self.sync = AvSync(cfg.av_sync)
        self._delay = DelayLine(cfg.sample_rate, cfg.channels)
        self._source_voice: SourceVoice | None = None
        self._playback: Playback | None = None
        self.output_error: Message | None = None
        self._sync_worker = PeriodicWorker("av-sync", self._update_sync, lambda: 1.0, logger=log)
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

    def devices(self) -> DeviceListOut:
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
                AudioDevice(
                    index=i,
                    name=d["name"],
                    inputs=inputs,
                    outputs=outputs,
                    kind=kind,
                    default_rate=d["default_samplerate"],
                    default_input=i == default_in,
                    default_output=i == default_out,
                )
            )
        return DeviceListOut(devices=listed, count=len(listed), source_sound=self.sound.publisher)

    def _callback(
        self, indata: np.ndarray, outdata: np.ndarray, frames: int, _t: Any, status: Any
    ) -> None:
        started = time.perf_counter()
        if status.input_overflow:
            self.input_overflows += 1
        if status.output_underflow:
            self.output_underflows += 1
        # the first sample's capture time: now, less this block and the input's latency
        latency = self._stream.latency if self._stream is not None else 0.0
        latency_in = latency[0] if isinstance(latency, tuple) else latency
        captured = time.monotonic() - frames / self.cfg.sample_rate - float(latency_in)
        outdata[:] = self._voice(indata, captured)
        self.callback_ms = (time.perf_counter() - started) * 1000

    def _voice(self, block: np.ndarray, captured: float) -> np.ndarray:
        """One block through the chain: to the recorder (on the capture clock) and, delayed
        by the A/V offset, back for the output."""
        peak = float(np.abs(block).max()) if len(block) else 0.0
        self.level_dbfs = round(20 * math.log10(peak), 1) if peak > 0 else -120.0
        out = self.chain.process(block)
        tap = self.tap
        if tap is not None:
            tap(out, captured - self.chain.latency_ms / 1000)
        self.blocks += 1
        return self._delay.process(out, self.sync.offset_ms)

    def _source_block(self, block: np.ndarray, captured: float) -> None:
        out = self._voice(block, captured)
        playback = self._playback
        if playback is not None:
            playback.push(out)

    def voice_latency_ms(self) -> float:
        """What the voice path takes from capture to the output (effects, blocks, devices)."""
        stream, playback = self._stream, self._playback
        devices = 0.0
        if stream is not None:
            lat = stream.latency
            devices = float(sum(lat) if isinstance(lat, tuple) else lat) * 1000
        elif playback is not None:
            devices = playback.latency_ms
        block_ms = self.cfg.block_size / self.cfg.sample_rate * 1000
        return self.chain.latency_ms + block_ms + devices

    def _update_sync(self) -> None:
        self.sync.update(self.video_latency_ms(), self.voice_latency_ms())

    @property
    def running(self) -> bool:
        return self._stream is not None or self._source_voice is not None

    def start(self, devices: dict[str, str | int | None] | None = None) -> AudioStatus:
        """Run the stream. ``devices`` may name ``input_device`` and ``output_device`` (a name
        or an index; None: back to the configured one, else PortAudio's default); a device
        PortAudio does not list is :class:`NoSuchAudioDevice` and changes nothing. Named
        devices stay chosen for later starts; other devices while it runs: it moves to them."""
        wanted = dict(devices or {})
        with self._lock:
            if self.running and not wanted:
                return self.status()
            if "input_device" in wanted:
                chosen_in = wanted["input_device"]
                if chosen_in is None:
                    chosen_in = self.cfg.input_device
            else:
                chosen_in = self.input_device
            if _is_source(chosen_in):
                return self._start_source(wanted)
            if self._source_voice is not None:
                self._stop_source()
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
            self.error = self.output_error = None
            self.started_at = time.time()
            self._watch_delay = 0.5
            self._watch.start()
            self._sync_worker.start()
            log.info("audio running: %s", self.chain.describe())
            return self.status()

    def _start_source(self, wanted: dict[str, str | int | None]) -> AudioStatus:
        """The voice from the video source: no microphone; the output device when PortAudio
        has one (a named one it does not list: 400, nothing changes), else the voice goes to
        recordings only and ``output_error`` says why."""
        output = wanted.get("output_device", self.output_device)
        if "output_device" in wanted and output is None:
            output = self.cfg.output_device
        sd, listed = None, None
        reason: Message | None = None
        try:
            sd = _sounddevice()
            listed = sd.query_devices()
        except AudioUnavailable as exc:
            reason = exc.keyed
        except Exception as exc:  # PortAudioError
            reason = msg("audio.cannot_list", detail=str(exc))
        if wanted.get("output_device") is not None and listed is not None:
            try:
                find_device(listed, wanted["output_device"], "output")  # type: ignore[arg-type]
            except LookupError as exc:
                raise NoSuchAudioDevice(f"output_device: {exc}", "output_device") from None
        if self._stream is not None:
            self._close_stream()
        if self._source_voice is not None:
            self._stop_source()
        self.input_device, self.output_device = SOURCE, output
        if sd is not None and listed is not None and len(listed) > 0:
            try:
                index = None if output is None else find_device(listed, output, "output")
                self._playback = Playback(
                    sd, index, self.cfg.sample_rate, self.cfg.channels, self.cfg.block_size
                )
            except Exception as exc:  # LookupError, PortAudioError
                reason = msg("audio.output_failed", detail=str(exc))
        elif reason is None:
            reason = msg("audio.no_output_device")
        self.output_error = (
            None if self._playback is not None else msg("audio.recordings_only", detail=str(reason))
        )
        if self.output_error:
            log.warning("voice from the source: %s", self.output_error)
        self._source_voice = SourceVoice(self.sound, self.cfg.block_size, self._source_block)
        self._source_voice.start()
        self.error = None
        self.started_at = time.time()
        self._sync_worker.start()
        log.info("audio running from the source's sound: %s", self.chain.describe())
        return self.status()

    def _stop_source(self) -> None:
        voice, self._source_voice = self._source_voice, None
        if voice is not None:
            voice.stop()
        playback, self._playback = self._playback, None
        if playback is not None:
            playback.close()

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

    def test_tone(self) -> ToneOut:
        """A short tone on the output device in use, so a person hears the sound works
        (:class:`AudioUnavailable`, with its fix, when there is no device)."""
        try:
            return ToneOut(**play_tone(_sounddevice(), self.output_device))
        except NoToneDevice as exc:
            raise AudioUnavailable(exc.keyed) from exc

    def stop(self) -> AudioStatus:
        self._watch.stop(timeout=5)
        self._sync_worker.stop(timeout=5)
        with self._lock:
            if self._source_voice is not None:
                self._stop_source()
                log.info("audio stopped")
            if self._stream is not None:
                self._stream.stop()
                self._stream.close()
                self._stream = None
                log.info("audio stopped")
            return self.status()

    def status(self) -> AudioStatus:
        stream = self._stream
        latency = None
        if stream is not None:
            lat = stream.latency
            latency = (
                [round(v * 1000, 2) for v in lat]
                if isinstance(lat, tuple)
                else round(lat * 1000, 2)
            )
        source = self._source_voice
        if source is not None:
            state = "running"
            latency = None if self._playback is None else round(self._playback.latency_ms, 2)
        elif stream is not None:
            state = "reconnecting" if self.error else "running"
        else:
            state = "unavailable" if self.error else "stopped"
        return AudioStatus(
            state=state,
            **text_fields("error", self.error or (source.error if source is not None else None)),
            **text_fields("output_error", self.output_error if self.running else None),
            source_sound=self.sound.publisher if source is not None else None,
            **self.sync.status(),
            fix=sound_fix(self.error) if stream is None and source is None else None,
            sample_rate=self.cfg.sample_rate,
            block_size=self.cfg.block_size,
            channels=self.cfg.channels,
            input_device=self.input_device,
            output_device=self.output_device,
            effects=self.chain.describe(),
            effects_latency_ms=self.chain.latency_ms,
            stream_latency_ms=latency,
            level_dbfs=self.level_dbfs,
            blocks=self.blocks,
            input_overflows=self.input_overflows,
            output_underflows=self.output_underflows,
            callback_ms=round(self.callback_ms, 3),
            restarts=self.restarts,
        )


def _is_source(choice: str | int | None) -> bool:
    return isinstance(choice, str) and choice.strip().casefold() == SOURCE
