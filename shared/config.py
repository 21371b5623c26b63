"""Typed configuration: pydantic models, YAML files and environment overrides.

Each entry point calls :func:`load_config` once and passes the result down; nothing reads
configuration at import time.

Environment overrides: ``<PREFIX>__<SECTION>__<KEY>=value`` (for example
``YL_MONITOR__SERVER__PORT=5600``); values are parsed as YAML scalars, so ``true``, ``5`` and
``[a, b]`` get their types. A few short names are also accepted as aliases (``YL_MONITOR_URL``,
``USER_GUI_NODE_ID``, ``YL_MONITOR_DB``); each process lists its own (docs/contracts.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, variable or key."""


class Section(BaseModel):
    """Base for every config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class ServerConfig(Section):
    host: str = Field("127.0.0.1", description="Address to bind; loopback unless configured.")
    port: int = Field(5500, ge=1, le=65535, description="TCP port to listen on.")
    debug: bool = Field(False, description="Verbose errors; never enable in production.")
    threads: int = Field(16, ge=1, le=256, description="WSGI threads in each worker process.")
    workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Worker processes sharing the port; default one per CPU core (max 4) on "
        "POSIX, 1 on Windows.",
    )
    connection_limit: int = Field(
        1000, ge=1, le=100000, description="Open client connections before new ones wait."
    )
    send_buffer: int | None = Field(
        None,
        ge=4096,
        description="SO_SNDBUF of client sockets; set it small for live streams (the kernel's "
        "autotuned buffer would otherwise hold seconds of video for a slow viewer).",
    )
    outbuf_high_watermark: int = Field(
        16 * 1024 * 1024,
        ge=4096,
        description="Bytes buffered for one slow client before its response thread waits "
        "(small for live streams, so a slow viewer skips frames instead of lagging).",
    )


class LoggingConfig(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Root log level."
    )
    format: str | None = Field(None, description="logging format string; a sensible default.")
    file: str | None = Field(None, description="Also log to this rotating file.")

    @model_validator(mode="before")
    @classmethod
    def _upper_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("level"), str):
            data = {**data, "level": data["level"].upper()}
        return data


class CorsConfig(Section):
    enabled: bool = Field(False, description="Send CORS headers for the listed origins.")
    origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:5500", "http://localhost:5500"],
        description="Allowed origins, listed one by one.",
    )


class SecurityConfig(Section):
    api_key_enabled: bool = Field(False, description="Require API keys on the API.")
    api_key: str | None = Field(None, description="Write key (also accepted for reads).")
    read_api_key: str | None = Field(None, description="Read-only key; optional.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the service answers besides localhost, IP addresses and the "
        "bind address (say, a reverse proxy's name); '*' turns the Host check off.",
    )

    @model_validator(mode="after")
    def _key_when_enabled(self) -> SecurityConfig:
        if self.api_key_enabled and not self.api_key:
            raise ValueError("security.api_key must be set when security.api_key_enabled is true")
        return self


# The monitor link's per-process fields, so a process's subclass changes only the default.
NodeId = Annotated[str, Field(description="This node's id at the monitor.")]
NodeName = Annotated[str, Field(description="This node's display name.")]
ReportInterval = Annotated[float, Field(gt=0, description="Seconds between heartbeats.")]
MaxRetries = Annotated[int, Field(ge=0, le=10, description="Retries of one report.")]
RetryDelay = Annotated[float, Field(ge=0, description="First retry delay, seconds (doubles).")]


class MonitorLinkConfig(Section):
    """The ``monitor`` section of a process that reports to yl_monitor (the backend, the
    window): defined once here; each process subclasses it only for its own defaults (node
    id and name, interval) and passes it to :class:`shared.heartbeat.HeartbeatSender`."""

    enabled: bool = Field(True, description="Send heartbeats to the monitor.")
    url: str = Field("http://127.0.0.1:5500", description="Monitor base URL.")
    node_id: NodeId = "node"
    node_name: NodeName = "Node"
    report_interval: ReportInterval = 10.0
    timeout: float = Field(5.0, gt=0, description="Seconds per monitor request.")
    max_retries: MaxRetries = 1
    retry_delay: RetryDelay = 0.5
    api_key: str | None = Field(None, description="The monitor's write key, when it has one.")


class ServiceEntry(Section):
    name: str = Field(..., description="Human-readable service name.")
    host: str = Field("127.0.0.1", description="Host the service listens on.")
    port: int = Field(..., ge=1, le=65535, description="Service port.")
    health_endpoint: str = Field("/health", description="Path of the health check.")
    timeout: float = Field(5.0, gt=0, le=120, description="Seconds per health request.")
    retry: int = Field(3, ge=0, le=10, description="Retries of one health check.")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class DiscoveryConfig(Section):
    enabled: bool = Field(True, description="Poll the listed services.")
    interval: float = Field(30.0, gt=0, description="Seconds between polls.")
    timeout: float = Field(2.0, gt=0, description="Seconds per poll request.")


class ServicesFile(Section):
    """config/services.yaml: the one source of truth for ports and health paths."""

    services: dict[str, ServiceEntry] = Field(default_factory=dict)
    discovery: DiscoveryConfig = Field(default_factory=DiscoveryConfig)

    @model_validator(mode="before")
    @classmethod
    def _drop_retired_keys(cls, data: Any) -> Any:
        """``load_balancing`` was accepted once and never read: a file that still has it
        loads, with a warning, rather than failing on an unknown key."""
        if isinstance(data, dict) and "load_balancing" in data:
            log.warning(
                "services file: load_balancing is ignored (nothing ever read it); remove it"
            )
            data = {k: v for k, v in data.items() if k != "load_balancing"}
        return data


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def _set_path(data: dict[str, Any], keys: list[str], value: Any) -> None:
    node = data
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = value


def env_overrides(
    prefix: str, environ: Mapping[str, str], aliases: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Collect ``PREFIX__A__B=v`` variables (and aliases) into a nested dict."""
    out: dict[str, Any] = {}
    marker = prefix + "__"
    for name, raw in environ.items():
        if name.startswith(marker):
            keys = [part.lower() for part in name[len(marker) :].split("__") if part]
        elif aliases and name in aliases:
            keys = aliases[name].split(".")
        else:
            continue
        if not keys:
            continue
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        _set_path(out, keys, value)
    return out


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def load_config(
    model: type[T],
    path: str | os.PathLike[str] | None = None,
    *,
    env_prefix: str,
    environ: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """Build ``model`` from a YAML file, then environment variables, then explicit overrides."""
    data: dict[str, Any] = _read_yaml(Path(path)) if path else {}
    env = env_overrides(env_prefix, os.environ if environ is None else environ, aliases)
    data = deep_merge(data, env)
    if overrides:
        data = deep_merge(data, overrides)
    source = str(path) if path else "defaults"
    if env:
        source += f" + {env_prefix}__* environment"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from exc


def load_services(path: str | os.PathLike[str]) -> ServicesFile:
    """Read config/services.yaml."""
    try:
        return ServicesFile.model_validate(_read_yaml(Path(path)))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(path))) from exc
