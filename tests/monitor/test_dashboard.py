"""The dashboard in headless Chromium: a node a test posted, its alert, the acknowledge button."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.conftest import require_or_skip
from tests.procs import wait_for

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

FAST = {
    "YL_MONITOR__NODES__TYPE_INTERVALS__TEST": "0.5",
    "YL_MONITOR__NODES__GRACE": "0.2",
    "YL_MONITOR__NODES__OFFLINE_AFTER_MISSED": "2",
    "YL_MONITOR__ALERTS__EVALUATE_INTERVAL": "0.1",
}


@pytest.fixture
def browser(tmp_path: Path):
    if not (CHROMIUM and CHROMEDRIVER):
        require_or_skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_dashboard_shows_node_and_acknowledges_alert(spawn, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    mon = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"], env=FAST)
    for cpu in (20.0, 35.0, 50.0):
        requests.post(
            f"{mon.url}/api/ar/nodes/studio-pc/heartbeat",
            json={
                "node_name": "Studio PC",
                "node_type": "test",
                "status": "running",
                "resources": {"cpu_percent": cpu, "memory_percent": 40.0},
            },
            timeout=5,
        ).raise_for_status()

    browser.get(mon.url + "/")
    card = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "article.node[data-node-id='studio-pc']"),
        timeout=10,
    )[0]
    assert "Studio PC" in card.text
    assert "CPU 50.0%" in card.text
    # the history chart drew a CPU line from the three beats
    wait_for(
        lambda: browser.find_elements(
            By.CSS_SELECTOR, "article.node[data-node-id='studio-pc'] svg.chart polyline.cpu"
        )
    )

    # no more beats: the page turns the node offline and lists its alert without a reload
    wait_for(
        lambda: browser.find_elements(
            By.CSS_SELECTOR, "article.node.state-offline[data-node-id='studio-pc']"
        ),
        timeout=15,
    )
    button = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#alerts button.ack"), timeout=10
    )[0]
    row = browser.find_element(By.CSS_SELECTOR, "#alerts tbody tr")
    assert "studio-pc" in row.text and "offline" in row.text
    button.click()

    wait_for(
        lambda: (
            "Acknowledged by dashboard"
            in browser.find_element(By.CSS_SELECTOR, "#alerts tbody").text
        ),
        timeout=10,
    )
    alerts = requests.get(f"{mon.url}/api/alerts", timeout=5).json()["alerts"]
    assert alerts[0]["status"] == "acknowledged"
    assert alerts[0]["acknowledgement"]["by"] == "dashboard"
    shot = tmp_path / "dashboard.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 1000
