"""The GUI's typed configuration (config/user_gui.yaml plus USER_GUI__* variables)."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field

from shared.config import (
    LoggingConfig,
    MaxRetries,
    MonitorLinkConfig,
    NodeId,
    NodeName,
    ReportInterval,
    RetryDelay,
    Section,
    load_config,
)

ENV_PREFIX = "USER_GUI"
ENV_ALIASES = {
    "YL_MONITOR_URL": "monitor.url",
    "USER_GUI_NODE_ID": "monitor.node_id",
    "AR_BACKEND_URL": "backend.url",
}


class MonitorSection(MonitorLinkConfig):
    """The window's defaults (shared.config.MonitorLinkConfig), kept when a single key is
    overridden."""

    node_id: NodeId = "user-gui"
    node_name: NodeName = "User GUI"
    report_interval: ReportInterval = 30.0
    max_retries: MaxRetries = 3
    retry_delay: RetryDelay = 1.0


class LocalServerSection(Section):
    enabled: bool = Field(True, description="Serve /health, /status, /stats locally.")
    host: str = Field("127.0.0.1", description="Address to bind (loopback).")
    port: int = Field(5502, ge=0, le=65535, description="Port (0: any free port).")


class BackendSection(Section):
    url: str = Field("http://127.0.0.1:5501", description="ar_backend base URL.")
    timeout: float = Field(5.0, gt=0, description="Seconds per backend request.")
    retries: int = Field(1, ge=0, le=10, description="Retries of a failed request.")
    api_key: str | None = Field(None, description="The backend's key, when it has one.")
    poll_interval: float = Field(2.0, gt=0, description="Seconds between health checks.")


class GuiConfig(Section):
    monitor: MonitorSection = Field(default_factory=MonitorSection)
    local_server: LocalServerSection = Field(default_factory=LocalServerSection)
    backend: BackendSection = Field(default_factory=BackendSection)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    services_file: str = Field("config/services.yaml", description="Ports and health paths.")
    language: str | None = Field(
        None,
        pattern=r"^(en|zh_CN)$",
        description="The window's language: en or zh_CN; unset: the system's (the choice made "
        "in the window's Help menu wins).",
    )


def load_gui_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> GuiConfig:
    return load_config(
        GuiConfig,
        path,
        env_prefix=ENV_PREFIX,
        environ=environ,
        aliases=ENV_ALIASES,
        overrides=overrides,
    )
