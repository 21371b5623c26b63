"""The monitor's typed configuration (config/monitor.yaml plus YL_MONITOR__* variables)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field

from shared.config import (
    CorsConfig,
    LoggingConfig,
    Section,
    SecurityConfig,
    ServerConfig,
    ServicesFile,
    load_config,
    load_services,
)

ENV_PREFIX = "YL_MONITOR"
ENV_ALIASES = {"YL_MONITOR_DB": "storage.url"}


class StorageConfig(Section):
    url: str = Field(
        "sqlite:///data/yl_monitor.db",
        description="SQLAlchemy URL: a SQLite file by default, postgresql+psycopg://... too.",
    )
    sqlite_synchronous: str = Field(
        "FULL", pattern="^(OFF|NORMAL|FULL|EXTRA)$", description="SQLite synchronous pragma."
    )
    batch_max: int = Field(1000, ge=1, le=10000, description="Most beats in one group commit.")
    queue_max: int = Field(20000, ge=1, description="Beats waiting to be written before 503.")
    commit_wait: float = Field(10.0, gt=0, description="Seconds a request waits for its commit.")
    history_max_age: float = Field(
        86400.0, gt=0, description="Seconds of beat history kept per node."
    )
    history_max_per_node: int = Field(2880, ge=10, description="Most beats kept per node.")
    prune_interval: float = Field(60.0, gt=0, description="Seconds between history pruning.")


class NodesConfig(Section):
    default_interval: float = Field(
        10.0, gt=0, description="Expected beat interval for a node with no other source."
    )
    type_intervals: dict[str, float] = Field(
        default_factory=lambda: {"user-gui": 30.0, "ar-backend": 10.0},
        description="Expected beat interval per node type; wins over the node's own beats.",
    )
    grace: float = Field(5.0, ge=0, description="Seconds past the interval before 'late'.")
    offline_after_missed: int = Field(
        3, ge=2, description="Intervals without a beat (plus grace) before 'offline'."
    )


class AlertsConfig(Section):
    evaluate_interval: float = Field(1.0, gt=0, description="Seconds between evaluations.")
    cpu_percent: float = Field(90.0, gt=0, description="CPU percent that counts as high.")
    memory_percent: float = Field(
        90.0, gt=0, le=100, description="Memory percent that counts as high."
    )
    memory_mb: float | None = Field(
        None, gt=0, description="Process memory (MB) that counts as high, when beats report it."
    )
    consecutive_beats: int = Field(3, ge=1, description="High beats in a row that open an alert.")
    resolve_hold: float = Field(
        30.0, ge=0, description="Seconds a cause must stay clear before its alert resolves."
    )


class ChecksConfig(Section):
    enabled: bool = Field(True, description="Poll the health endpoints in services_file.")
    services_file: str = Field(
        "services.yaml", description="Services file, relative to this config file's folder."
    )
    interval: float | None = Field(
        None, gt=0, description="Seconds between polls; services.yaml discovery.interval if unset."
    )
    self_name: str = Field("yl-monitor", description="This monitor's key in services_file.")
    failures_before_alert: int = Field(
        2, ge=1, description="Failed checks in a row before a health_check alert opens."
    )


class MonitorConfig(Section):
    server: ServerConfig = Field(default_factory=ServerConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    cors: CorsConfig = Field(default_factory=CorsConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    nodes: NodesConfig = Field(default_factory=NodesConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    services: ServicesFile = Field(
        default_factory=ServicesFile, description="Filled from checks.services_file at load."
    )


def load_monitor_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> MonitorConfig:
    """Load once at start-up: the YAML file, YL_MONITOR__* variables, then CLI overrides."""
    cfg = load_config(
        MonitorConfig,
        path,
        env_prefix=ENV_PREFIX,
        environ=environ,
        aliases=ENV_ALIASES,
        overrides=overrides,
    )
    if cfg.checks.enabled and path is not None:
        services_path = Path(cfg.checks.services_file)
        if not services_path.is_absolute():
            services_path = Path(path).resolve().parent / services_path
        if services_path.exists():
            cfg.services = load_services(services_path)
    return cfg
