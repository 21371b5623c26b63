"""The shipped config files load, retired keys are tolerated, and every entry point finds its
config file the same way (shared.cli)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from ar_backend.config import BackendConfig, load_backend_config
from shared.config import ServicesFile, load_services
from tests.procs import ROOT
from user_gui.__main__ import main as gui_main
from user_gui.config import GuiConfig, load_gui_config
from yl_monitor.config import MonitorConfig, load_monitor_config

CONFIG = ROOT / "config"


def test_every_shipped_config_file_loads() -> None:
    monitor = load_monitor_config(CONFIG / "monitor.yaml", environ={})
    assert isinstance(monitor, MonitorConfig)
    assert set(monitor.services.services) == {"yl-monitor", "ar-backend", "user-gui"}
    assert isinstance(load_backend_config(CONFIG / "backend.yaml", environ={}), BackendConfig)
    assert isinstance(load_gui_config(CONFIG / "user_gui.yaml", environ={}), GuiConfig)
    assert isinstance(load_services(CONFIG / "services.yaml"), ServicesFile)


def test_the_shipped_files_carry_no_retired_key() -> None:
    for path in CONFIG.glob("*.yaml"):
        assert "load_balancing" not in yaml.safe_load(path.read_text()), path


def test_a_services_file_with_load_balancing_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (CONFIG / "services.yaml").read_text()
    path = tmp_path / "services.yaml"
    path.write_text(text + "load_balancing:\n  strategy: round_robin\n")
    with caplog.at_level(logging.WARNING, logger="shared.config"):
        services = load_services(path)
    assert "ar-backend" in services.services
    assert "load_balancing is ignored" in caplog.text
    assert "load_balancing" not in services.model_dump()


def test_an_unknown_services_key_is_still_an_error(tmp_path: Path) -> None:
    from shared.config import ConfigError

    path = tmp_path / "services.yaml"
    path.write_text("services: {}\nload_balancer: {}\n")
    with pytest.raises(ConfigError, match="load_balancer"):
        load_services(path)


def test_the_gui_reads_its_config_through_shared_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.yaml"
    assert gui_main(["--config", str(missing)]) == 2  # before any window is made
    assert f"cannot read config file {missing}" in capsys.readouterr().err
