"""``denoise``: noise suppression by RNNoise (a small recurrent network trained on speech and
noise; what OBS ships), through the pyrnnoise wheel, which carries the library with its
model compiled in: nothing is downloaded.

RNNoise takes 480-sample frames at 48 kHz; blocks of any size are gathered into frames here
(a block size that is a multiple of 480, the stream's default, adds nothing). Its own
latency is two frames (20 ms, measured: its analysis window spans two). ``strength`` mixes
the denoised voice with the original, delayed to line up with it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from ar_backend.audio.effects import Effect, EffectError, Params, register
from ar_backend.audio.spectral import Block

RATE = 48000
FRAME = 480
DELAY = 2 * FRAME  # what RNNoise delays the voice by
SCALE = 32768.0  # RNNoise works on 16-bit sample values held as floats


class _Library:
    """librnnoise.so from the pyrnnoise package, loaded once (without importing the package,
    whose file-conversion helpers pull in plotting and audio-file libraries we do not need)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lib: Any = None
        self.error: str | None = None

    def get(self) -> Any:
        with self._lock:
            if self._lib is None and self.error is None:
                self._load()
            if self._lib is None:
                raise EffectError(f"denoise is unavailable: {self.error}", "type")
            return self._lib

    def _load(self) -> None:
        spec = importlib.util.find_spec("pyrnnoise")
        if spec is None or not spec.submodule_search_locations:
            self.error = "pyrnnoise is not installed (pip install -r requirements.txt)"
            return
        path = Path(next(iter(spec.submodule_search_locations))) / "librnnoise.so"
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as exc:
            self.error = f"cannot load {path.name} from pyrnnoise: {exc}"
            return
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_get_frame_size.restype = ctypes.c_int
        lib.rnnoise_process_frame.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_float),
            ctypes.POINTER(ctypes.c_float),
        ]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        if lib.rnnoise_get_frame_size() != FRAME:
            self.error = f"librnnoise takes {lib.rnnoise_get_frame_size()}-sample frames"
            return
        self._lib = lib


LIBRARY = _Library()


class DenoiseParams(Params):
    strength: float = Field(
        1.0, ge=0, le=1, description="How much of the denoised voice replaces the original."
    )


@register("denoise")
class Denoise(Effect):
    """RNNoise per channel; ``speech_probability``: the network's last voice-activity guess."""

    Params = DenoiseParams

    def __init__(self, params: DenoiseParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        if rate != RATE:
            raise EffectError(
                f"denoise runs at 48000 Hz (RNNoise's rate), not {rate}: set audio.sample_rate "
                "to 48000",
                "type",
            )
        self._lib = LIBRARY.get()
        self._states = [self._lib.rnnoise_create(None) for _ in range(channels)]
        self.latency_samples = DELAY
        self.speech_probability = 0.0
        self._frame = np.zeros(FRAME, np.float32)
        self._pending = np.zeros((0, channels), np.float32)
        self._ready = np.zeros((0, channels), np.float32)
        self._dry = np.zeros((DELAY, channels), np.float32)  # the input, delayed as RNNoise

    def __del__(self) -> None:
        lib, states = getattr(self, "_lib", None), getattr(self, "_states", [])
        for state in states:
            if lib is not None and state:
                lib.rnnoise_destroy(state)

    def _denoise(self, frame: Block) -> Block:
        out = np.empty_like(frame)
        probability = 0.0
        for c, state in enumerate(self._states):
            buf = self._frame
            np.multiply(frame[:, c], SCALE, out=buf)
            ptr = buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            probability = max(probability, self._lib.rnnoise_process_frame(state, ptr, ptr))
            out[:, c] = buf / SCALE
        self.speech_probability = float(probability)
        strength = self.params.strength
        if strength < 1.0:
            dry = self._dry[:FRAME].copy()
            self._dry = np.concatenate([self._dry[FRAME:], frame])
            out = out * strength + dry * (1.0 - strength)
        return out

    def process(self, block: Block) -> Block:
        self._pending = np.concatenate([self._pending, block.astype(np.float32)])
        whole = len(self._pending) // FRAME * FRAME
        if whole:
            frames = self._pending[:whole]
            self._pending = self._pending[whole:]
            done = [self._denoise(frames[i : i + FRAME]) for i in range(0, whole, FRAME)]
            self._ready = np.concatenate([self._ready, *done])
        if len(self._ready) < len(block):  # only at the start, with blocks not of 480
            pad = np.zeros((len(block) - len(self._ready), self.channels), np.float32)
            self._ready = np.concatenate([pad, self._ready])
        out, self._ready = self._ready[: len(block)], self._ready[len(block) :]
        return out
