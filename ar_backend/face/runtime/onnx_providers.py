"""onnxruntime execution providers for every neural model (swappers, enhancers): which ones
to ask for, each one's options from ``face.gpu``, and what a session really got.

A user asks for providers by name (``cuda``, ``CUDAExecutionProvider``) or ``auto``; the
ones onnxruntime lacks here are left out and reported. The GPU options (device id, memory
limit, cuDNN algorithm search, TensorRT's engine cache and fp16) come from one
:class:`~ar_backend.config.GpuConfig`, and :func:`session_report` reads back from each
session what it actually runs on, so a fall back to the CPU is shown, with a warning, in
status and in the window rather than found out from a slow stream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ar_backend.config import GpuConfig, resolve_dir
from shared.messages import Message, msg, text_fields

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
CUDA = "CUDAExecutionProvider"
DML = "DmlExecutionProvider"
ROCM = "ROCMExecutionProvider"
# best first; the CPU is always the last fallback
PROVIDER_PRIORITY = (
    TENSORRT,
    CUDA,
    ROCM,
    DML,
    "CoreMLExecutionProvider",
    "OpenVINOExecutionProvider",
)
GPU_PROVIDERS = frozenset({TENSORRT, CUDA, ROCM, DML, "CoreMLExecutionProvider"})
# the options each provider is given and reports back (get_provider_options), for status
SHOWN_OPTIONS = {
    CUDA: ("device_id", "gpu_mem_limit", "cudnn_conv_algo_search", "arena_extend_strategy"),
    ROCM: ("device_id", "gpu_mem_limit", "miopen_conv_exhaustive_search"),
    TENSORRT: (
        "device_id",
        "trt_engine_cache_enable",
        "trt_engine_cache_path",
        "trt_fp16_enable",
        "trt_max_workspace_size",
    ),
    DML: ("device_id",),
}


@dataclass
class ProviderChoice:
    """The providers to ask onnxruntime for, and the requested ones it does not have."""

    providers: list[str]
    requested: list[str]
    unavailable: list[str] = field(default_factory=list)

    @property
    def wants_gpu(self) -> bool:
        """A GPU provider was asked for by name, or ``auto`` found one."""
        named = [p for p in self.providers + self.unavailable if p in GPU_PROVIDERS]
        return bool(named)


def _canonical(name: str, known: list[str]) -> str:
    """``cuda`` and ``CUDAExecutionProvider`` name the same provider (any case)."""
    lowered = name.strip().lower()
    for candidate in known:
        low = candidate.lower()
        if lowered in (low, low.removesuffix("executionprovider")):
            return candidate
    return name.strip()


def _auto(available: list[str]) -> list[str]:
    for name in PROVIDER_PRIORITY:
        if name in available:
            if name == TENSORRT and CUDA in available:
                # TensorRT hands the nodes it cannot build (or all, when its libraries are
                # absent) to the next provider: CUDA, rather than the CPU
                return [TENSORRT, CUDA]
            return [name]
    return []


def select_providers(requested: list[str], available: list[str]) -> ProviderChoice:
    """The execution providers for ``requested`` (``["auto"]``, or names in order) given
    onnxruntime's ``available`` ones; the CPU comes last as the fallback.

    ``auto`` picks the best available of TensorRT, CUDA, ROCm, DirectML, CoreML, OpenVINO. A
    named provider that is not available is left out and listed in ``unavailable``.
    """
    available = list(dict.fromkeys(str(p) for p in available))
    known = list(dict.fromkeys([*PROVIDER_PRIORITY, CPU, *available]))
    chosen: list[str] = []
    unavailable: list[str] = []
    for item in requested or ["auto"]:
        if item.strip().lower() == "auto":
            chosen.extend(_auto(available))
            continue
        name = _canonical(item, known)
        if name in available:
            chosen.append(name)
        elif name not in unavailable:
            unavailable.append(name)
    if CPU in available:
        chosen = [p for p in chosen if p != CPU] + [CPU]
    return ProviderChoice(list(dict.fromkeys(chosen)), list(requested), unavailable)


def provider_options(
    providers: list[str], gpu: GpuConfig, models_dir: Path
) -> list[dict[str, str]]:
    """Each provider's options from ``face.gpu`` (onnxruntime takes them as strings).

    TensorRT builds its engines for minutes: they are cached (by default beside the models)
    for the next start.
    """
    options: list[dict[str, str]] = []
    for name in providers:
        if name == CUDA:
            cuda = {
                "device_id": str(gpu.device_id),
                "cudnn_conv_algo_search": gpu.cudnn_conv_algo_search,
                "arena_extend_strategy": "kSameAsRequested",
            }
            if gpu.memory_limit_mb:
                cuda["gpu_mem_limit"] = str(gpu.memory_limit_mb * 1024 * 1024)
            options.append(cuda)
        elif name == ROCM:
            rocm = {
                "device_id": str(gpu.device_id),
                "miopen_conv_exhaustive_search": str(gpu.cudnn_conv_algo_search == "EXHAUSTIVE"),
            }
            if gpu.memory_limit_mb:
                rocm["gpu_mem_limit"] = str(gpu.memory_limit_mb * 1024 * 1024)
            options.append(rocm)
        elif name == TENSORRT:
            cache = resolve_dir(gpu.tensorrt_cache_dir) if gpu.tensorrt_cache_dir else models_dir
            trt = {
                "device_id": str(gpu.device_id),
                "trt_engine_cache_enable": "True",
                "trt_engine_cache_path": str(cache / "trt_cache"),
                "trt_fp16_enable": str(gpu.tensorrt_fp16),
            }
            if gpu.memory_limit_mb:
                trt["trt_max_workspace_size"] = str(gpu.memory_limit_mb * 1024 * 1024)
            options.append(trt)
        elif name == DML:
            options.append({"device_id": str(gpu.device_id)})
        else:
            options.append({})
    return options


def active(session: Any) -> list[str]:
    """The providers a session actually got (none once it is closed)."""
    return [] if session is None else [str(p) for p in session.get_providers()]


def _got_options(session: Any) -> dict[str, dict[str, str]]:
    """The options each GPU provider of ``session`` really runs with (as onnxruntime reports
    them), limited to the ones a user sets."""
    if session is None:
        return {}
    try:
        got = session.get_provider_options()
    except Exception:  # an onnxruntime build without it
        return {}
    shown: dict[str, dict[str, str]] = {}
    for provider, keys in SHOWN_OPTIONS.items():
        if provider in got:
            shown[provider] = {k: str(got[provider][k]) for k in keys if k in got[provider]}
    return shown


def gpu_warning(choice: ProviderChoice, got: list[str]) -> Message | None:
    """What to tell a user whose GPU was asked for but whose model runs on the CPU."""
    if not choice.wants_gpu:
        return None
    first = got[0] if got else None
    if first in GPU_PROVIDERS:
        if choice.unavailable:
            missing = ", ".join(choice.unavailable)
            return msg("gpu.partly_unavailable", missing=missing, running=first)
        return None
    asked = choice.unavailable or [p for p in choice.providers if p in GPU_PROVIDERS]
    return msg("gpu.cpu_fallback", asked=", ".join(asked), running=first or "nothing")


def session_report(
    sessions: dict[str, Any], choice: ProviderChoice, gpu: GpuConfig | None = None
) -> dict[str, Any]:
    """Status for a model's sessions by role: the provider the first one got, each one's
    providers and the GPU options they really run with, what was requested and is
    unavailable, the warning, and the GPU settings asked for (``face.gpu``)."""
    providers = {role: active(s) for role, s in sessions.items()}
    first = next(iter(providers.values()), [])
    options: dict[str, dict[str, str]] = {}
    for session in sessions.values():
        for provider, values in _got_options(session).items():
            options.setdefault(provider, values)
    return {
        "provider": first[0] if first else None,
        "providers": providers,
        "requested": list(choice.requested),
        "unavailable_requested": list(choice.unavailable),
        "provider_options": options,
        **text_fields("gpu_warning", gpu_warning(choice, first)),
        "gpu_settings": None if gpu is None else gpu.model_dump(),
    }


def warn_once_if_cpu(name: str, warning: str | None) -> None:
    """Log the fall back to the CPU when a session starts (``warning``: its status's
    ``gpu_warning``; status keeps saying it)."""
    if warning:
        log.warning("%s: %s", name, warning)


def onnx_session(path: Path, choice: ProviderChoice, gpu: GpuConfig, models_dir: Path) -> Any:
    """An onnxruntime session for ``path`` on the chosen providers with their options."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.log_severity_level = 3  # onnxruntime's own warnings would flood the log
    return onnxruntime.InferenceSession(
        str(path),
        sess_options=opts,
        providers=choice.providers,
        provider_options=provider_options(choice.providers, gpu, models_dir),
    )


def choose(requested: list[str]) -> ProviderChoice:
    """:func:`select_providers` against this onnxruntime, with the fall back logged."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    choice = select_providers(requested, available)
    if choice.unavailable:
        log.warning(
            "onnxruntime has no %s here (it has %s); using %s",
            ", ".join(choice.unavailable),
            ", ".join(available),
            ", ".join(choice.providers) or "nothing",
        )
    return choice
