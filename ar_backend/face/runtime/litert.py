"""One LiteRT model on the CPU (XNNPACK), as every MediaPipe runner uses it.

``ai_edge_litert``'s interpreter applies XNNPACK by default (its AUTO op resolver); a model
that needs an op LiteRT does not ship (``face_landmark_with_attention.tflite``'s
``Landmarks2TransformMatrix``) fails to load with that op named. An interpreter is not
thread-safe: :meth:`LiteModel.run` holds the model's own lock, so the live path and the
detector's thread may share one (each run is a few ms).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


class ModelLoadError(Exception):
    """A ``.tflite`` file could not be opened (the message names it and why)."""


@dataclass(frozen=True)
class TensorInfo:
    """An input or output tensor: its name, shape and dtype, and LiteRT's index for it."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    index: int


def _infos(details: list[dict[str, Any]]) -> tuple[TensorInfo, ...]:
    return tuple(
        TensorInfo(
            str(d["name"]), tuple(int(v) for v in d["shape"]), np.dtype(d["dtype"]), d["index"]
        )
        for d in details
    )


class LiteModel:
    """``path`` loaded for ``threads`` CPU threads; :meth:`run` feeds the inputs in order and
    returns copies of the outputs in the model's order."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter  # imported when a model is used

        self.path = Path(path)
        self.threads = threads
        try:
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ModelLoadError(f"{self.path.name} does not load in LiteRT: {first}") from exc
        self.inputs = _infos(self._interpreter.get_input_details())
        self.outputs = _infos(self._interpreter.get_output_details())
        self._lock = threading.Lock()

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the first input, an NHWC image."""
        shape = self.inputs[0].shape
        return shape[2], shape[1]

    def run(self, *arrays: FloatArray) -> list[FloatArray]:
        if len(arrays) != len(self.inputs):
            raise ValueError(f"{self.path.name} takes {len(self.inputs)} inputs, not {len(arrays)}")
        with self._lock:
            for info, array in zip(self.inputs, arrays, strict=True):
                self._interpreter.set_tensor(
                    info.index, np.ascontiguousarray(array, info.dtype).reshape(info.shape)
                )
            self._interpreter.invoke()
            return [np.array(self._interpreter.get_tensor(o.index)) for o in self.outputs]
