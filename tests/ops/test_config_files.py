"""The shipped config files load, retired keys are tolerated, and every entry point finds its
config file the same way (shared.cli)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from ar_backend.__main__ import main as backend_main
from ar_backend.config import BackendConfig, load_backend_config
from ar_backend.studio import Studio, check_names
from shared.config import ConfigError, ServicesFile, load_services
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


TYPOS = """\
pipeline:
  processors: [face_swap, overlayy]
face:
  engine: clasic
audio:
  effects:
    - {type: pich, params: {semitones: 3}}
    - {type: echo, params: {delay_ms: 99999}}
"""


def test_a_name_typo_in_backend_yaml_is_a_config_error_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "backend.yaml"
    path.write_text(TYPOS)
    config = load_backend_config(path, environ={})  # the models alone cannot see the registries
    with pytest.raises(ConfigError) as err:
        check_names(config)
    message = str(err.value)
    for line in (
        "pipeline.processors.1: unknown processor 'overlayy' (known: background, burn, "
        "face_swap, none, overlay)",
        "face.engine: unknown face engine 'clasic' (known: classic, hyperswap, inswapper)",
        "audio.effects.0.type: unknown effect type 'pich'",
        "audio.effects.1.params.delay_ms:",
    ):
        assert line in message, message
    with pytest.raises(ConfigError, match="overlayy"):
        Studio(config)  # before anything starts
    # the entry point: exit 2 with the keys named, before it opens a port or a device
    assert backend_main(["--config", str(path), "--no-autostart"]) == 2
    assert "face.engine: unknown face engine 'clasic'" in capsys.readouterr().err


def test_the_shipped_backend_config_names_only_registered_plugins() -> None:
    check_names(load_backend_config(CONFIG / "backend.yaml", environ={}))
