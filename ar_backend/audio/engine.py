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
import threading
import time
from typing import Any

import numpy as np

from ar_backend.audio.chain import EffectChain
from ar_backend.config import AudioConfig
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


class AudioUnavailable(Exception):
    """No PortAudio or no device: the message says what is missing and how to fix it."""


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the Python module is there, the PortAudio library is not
        raise AudioUnavailable(
            f"PortAudio is not installed ({exc}): sudo apt-get install libportaudio2"
        ) from exc
    except ImportError as exc:
        raise AudioUnavailable(f"sounddevice is not installed: {exc}") from exc
    return sounddevice


class AudioEngine:
    """Owner of the stream. ``status()`` never opens a device."""

    def __init__(self, cfg: AudioConfig) -> None:
        self.cfg = cfg
        self.chain = EffectChain(cfg.sample_rate, cfg.channels, cfg.max_effects)
        if cfg.effects:
            self.chain.set_chain([e.model_dump() for e in cfg.effects])
        self._stream: Any = None
        self._lock = threading.Lock()
        self.error: str | None = None
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
        return [
            {
                "index": i,
                "name": d["name"],
                "inputs": d["max_input_channels"],
                "outputs": d["max_output_channels"],
                "default_rate": d["default_samplerate"],
            }
            for i, d in enumerate(sd.query_devices())
        ]

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

    def start(self) -> dict[str, Any]:
        with self._lock:
            if self._stream is not None:
                return self.status()
            sd = _sounddevice()
            try:
                devices = sd.query_devices()
            except Exception as exc:
                raise AudioUnavailable(f"PortAudio cannot list devices: {exc}") from exc
            if len(devices) == 0:
                self.error = (
                    "no audio device: PortAudio sees none (no sound card, and no "
                    "PulseAudio/PipeWire server; scripts/setup_virtual_mic.sh)"
                )
                raise AudioUnavailable(self.error)
            self._stream = self._open(sd)
            self.error = None
            self.started_at = time.time()
            self._watch_delay = 0.5
            self._watch.start()
            log.info("audio running: %s", self.chain.describe())
            return self.status()

    def _open(self, sd: Any) -> Any:
        try:
            stream = sd.Stream(
                samplerate=self.cfg.sample_rate,
                blocksize=self.cfg.block_size,
                channels=self.cfg.channels,
                dtype="float32",
                device=(self.cfg.input_device, self.cfg.output_device),
                latency="low",
                callback=self._callback,
            )
            stream.start()
        except Exception as exc:  # PortAudioError, ValueError for a bad device name
            self.error = f"cannot open the audio stream: {exc}"
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
            "error": self.error,
            "sample_rate": self.cfg.sample_rate,
            "block_size": self.cfg.block_size,
            "channels": self.cfg.channels,
            "input_device": self.cfg.input_device,
            "output_device": self.cfg.output_device,
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
