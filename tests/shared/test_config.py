"""Typed config: YAML, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import ConfigError, env_overrides, load_services
from yl_monitor.config import load_monitor_config

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_configs_load() -> None:
    cfg = load_monitor_config(ROOT / "config" / "monitor.yaml", environ={})
    assert cfg.server.host == "127.0.0.1"
    assert cfg.server.port == 5500
    assert "*" not in cfg.cors.origins
    assert set(cfg.services.services) == {"yl-monitor", "ar-backend", "user-gui"}
    assert cfg.services.services["ar-backend"].port == 5501
    assert cfg.services.services["user-gui"].health_endpoint == "/health"


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("server:\n  port: 5500\nnodes:\n  grace: 5\n")
    cfg = load_monitor_config(
        path,
        environ={
            "YL_MONITOR__SERVER__PORT": "5600",
            "YL_MONITOR__NODES__TYPE_INTERVALS__KIOSK": "2.5",
            "YL_MONITOR_DB": "sqlite:////tmp/x.db",
            "UNRELATED": "1",
        },
    )
    assert cfg.server.port == 5600
    assert cfg.nodes.grace == 5
    assert cfg.nodes.type_intervals["kiosk"] == 2.5
    assert cfg.storage.url == "sqlite:////tmp/x.db"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("alerts:\n  cpu_pct: 80\n")
    with pytest.raises(ConfigError) as err:
        load_monitor_config(path, environ={})
    assert "alerts.cpu_pct" in str(err.value)
    assert str(path) in str(err.value)


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        load_monitor_config(environ={"YL_MONITOR__SERVER__PORT": "99999"})
    assert "server.port" in str(err.value)
    assert "YL_MONITOR__" in str(err.value)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("server: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_monitor_config(bad, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_monitor_config(tmp_path / "nope.yaml", environ={})


def test_env_values_are_typed() -> None:
    out = env_overrides("P", {"P__A__B": "true", "P__A__C": "[x, y]", "P__D": "5"})
    assert out == {"a": {"b": True, "c": ["x", "y"]}, "d": 5}


def test_services_file_validated(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"
    path.write_text("services:\n  ar-backend:\n    name: x\n    port: nope\n")
    with pytest.raises(ConfigError, match=r"services\.ar-backend\.port"):
        load_services(path)


def test_one_overridden_server_key_keeps_the_process_defaults() -> None:
    from ar_backend.config import load_backend_config

    cfg = load_backend_config(environ={"AR_BACKEND__SERVER__THREADS": "8"})
    assert (cfg.server.port, cfg.server.threads, cfg.server.workers) == (5501, 8, 1)
    assert cfg.server.send_buffer == 131072
    cfg = load_backend_config(environ={}, overrides={"server": {"port": 5600}})
    assert (cfg.server.port, cfg.server.threads) == (5600, 32)


def test_the_monitor_link_is_one_model_with_each_process_defaults() -> None:
    from ar_backend.config import load_backend_config
    from shared.config import MonitorLinkConfig
    from user_gui.config import load_gui_config

    env = {"YL_MONITOR_URL": "http://10.0.0.2:5500", "USER_GUI_NODE_ID": "desk-2"}
    backend = load_backend_config(environ={**env, "AR_BACKEND__MONITOR__TIMEOUT": "2"}).monitor
    gui = load_gui_config(environ=env, overrides={"monitor": {"report_interval": 15}}).monitor
    assert isinstance(backend, MonitorLinkConfig) and isinstance(gui, MonitorLinkConfig)
    assert set(type(backend).model_fields) == set(type(gui).model_fields)
    picked = ("url", "node_id", "node_name", "report_interval", "timeout", "max_retries")
    assert [getattr(backend, k) for k in picked] == [
        "http://10.0.0.2:5500", "ar-backend", "AR Backend", 10.0, 2.0, 1,
    ]  # fmt: skip
    assert [getattr(gui, k) for k in picked] == [
        "http://10.0.0.2:5500", "desk-2", "User GUI", 15.0, 5.0, 3,
    ]  # fmt: skip
    for process_default in (type(backend), type(gui)):  # a changed default keeps its bounds
        with pytest.raises(ValueError, match="report_interval"):
            process_default(report_interval=0)
