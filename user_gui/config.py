"""The GUI's typed configuration (config/user_gui.yaml plus USER_GUI__* variables)."""

from __future__ import annotations

import os

from pydantic import Field

from shared.config import LoggingConfig, Section, load_config

ENV_PREFIX = "USER_GUI"
ENV_ALIASES = {
    "YL_MONITOR_URL": "monitor.url",
    "USER_GUI_NODE_ID": "monitor.node_id",
    "AR_BACKEND_URL": "backend.url",
}


class MonitorSection(Section):
    enabled: bool = Field(True, description="Report this window's state to the monitor.")
    url: str = Field("http://127.0.0.1:5500", description="Monitor base URL.")
    node_id: str = Field("user-gui", description="This window's node id at the monitor.")
    node_name: str = Field("User GUI", description="Display name at the monitor.")
    report_interval: float = Field(30.0, gt=0, description="Seconds between heartbeats.")
    timeout: float = Field(5.0, gt=0, description="Seconds per monitor request.")
    max_retries: int = Field(3, ge=0, le=10, description="Retries of one report.")
    retry_delay: float = Field(1.0, ge=0, description="First retry delay, seconds (doubles).")
    api_key: str | None = Field(None, description="The monitor's write key, when it has one.")


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


def load_gui_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
    overrides: dict | None = None,
) -> GuiConfig:
    return load_config(
        GuiConfig,
        path,
        env_prefix=ENV_PREFIX,
        environ=environ,
        aliases=ENV_ALIASES,
        overrides=overrides,
    )
