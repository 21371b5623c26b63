"""The dashboard in headless Chromium: a node a test posted, its alert, the acknowledge button."""

from __future__ import annotations

import contextlib
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


def _backend(spawn, tmp_path: Path, monitor_url: str):  # type: ignore[no-untyped-def]
    """A real backend on the demo source reporting every second, recording."""
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        f"media: {{folders: ['{tmp_path / 'media'}']}}\n"
        "monitor: {report_interval: 1}\n"
        f"outputs: {{recordings_dir: '{tmp_path / 'rec'}'}}\n"
    )
    be = spawn(
        "ar_backend",
        ["--config", str(cfg), "--monitor-url", monitor_url, "--source", "demo"],
        health_path="/health",
    )
    started = requests.post(be.url + "/record/start", json={"file_name": "take1"}, timeout=15)
    assert started.status_code == 200, started.text
    return be


def _size(browser, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    """The viewport at ``width`` x ``height`` CSS px (a phone: as Chromium's device mode)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


# The page redraws itself every refresh: each look reads everything it needs in one script.
LOOK = """
const card = document.querySelector("article.node[data-node-id='" + arguments[0] + "']");
if (!card) return null;
const live = {};
const terms = card.querySelectorAll("dl.live dt");
card.querySelectorAll("dl.live dd").forEach((dd, i) => {
  live[terms[i].textContent] = dd.textContent;
});
const lines = {};
card.querySelectorAll("svg.spark polyline").forEach((pl) => {
  lines[pl.getAttribute("class")] = pl.getAttribute("points").trim().split(/\\s+/).length;
});
return {live: live, lines: lines, scrollWidth: document.documentElement.scrollWidth};
"""


VCAM_ERROR = (
    "No virtual camera device yet: run sudo bash /home/someone/ar-live-studio/scripts/"
    "setup_virtual_camera.sh once, then start it again."
)
ROW = """
const card = document.querySelector("article.node[data-node-id='" + arguments[0] + "']");
const terms = [...card.querySelectorAll("dl.live dt")].map((dt) => dt.textContent);
const dd = card.querySelectorAll("dl.live dd")[terms.indexOf(arguments[1])];
return {text: dd.textContent, title: dd.title};
"""
VIDEO_ROW = """
const dd = document.querySelector("article.node[data-node-id='" + arguments[0] + "'] dl.live dd");
return dd ? {text: dd.textContent, cls: dd.className} : null;
"""


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_studio_node_shows_its_live_state(spawn, browser, tmp_path: Path, size) -> None:  # type: ignore[no-untyped-def]
    """Issue 25, item 16: a studio backend's card says what it is doing, from its beats: fps
    in and out, the swap and its engine, recording with its time, voice, the virtual camera,
    and an fps sparkline from its beat history."""
    mon = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"], env=FAST)
    _backend(spawn, tmp_path, mon.url)
    _size(browser, *size)
    browser.get(mon.url + "/")

    def ready() -> dict | None:  # type: ignore[type-arg]
        look = browser.execute_script(LOOK, "ar-backend")
        if not look or look["lines"].get("fps-out", 0) < 2:
            return None  # two beats at least: the sparkline has a line
        recording = look["live"].get("Recording", "")
        # a beat sent since the recording started, and a second or more into it
        return look if "● REC" in recording and "REC 0:00" not in recording else None

    look = wait_for(ready, timeout=40)
    state = look["live"]
    assert "fps in" in state["Video"] and "out" in state["Video"], state
    assert state["Swap"] == "off · classic", state
    assert state["Recording"].startswith("● REC 0:") and "take1.mp4" in state["Recording"]
    assert state["Voice"] in ("off", "unavailable"), state  # (no sound card here)
    assert state["Virtual camera"].startswith("off"), state  # (no v4l2loopback here)
    assert look["scrollWidth"] <= size[0]
    # a studio whose output falls well behind its input (the swap cannot keep up): in amber
    requests.post(
        f"{mon.url}/api/ar/nodes/slow-studio/heartbeat",
        json={
            "node_name": "Slow studio",
            "node_type": "ar-backend",
            "camera": {"state": "running", "fps_in": 30.0, "fps_out": 5.0},
            "outputs": {"virtual_camera": {"active": False, "error": VCAM_ERROR}},
        },
        timeout=5,
    ).raise_for_status()
    slow = wait_for(lambda: browser.execute_script(VIDEO_ROW, "slow-studio"), timeout=20)
    assert slow == {"text": "30.0 fps in · 5.0 out (dropping frames)", "cls": "v-bad"}, slow
    assert browser.execute_script(VIDEO_ROW, "ar-backend")["cls"] in ("v-on", "v-bad")
    # a long error is cut where what is wrong ends, not inside the command; all of it aside
    vcam = browser.execute_script(ROW, "slow-studio", "Virtual camera")
    assert vcam["text"] == "off: No virtual camera device yet …", vcam
    assert vcam["title"] == "off: " + VCAM_ERROR
    name = "desktop" if size[0] > 600 else "phone"
    browser.save_screenshot(str(tmp_path / f"dashboard-studio-{name}.png"))


PHONE_LOOK = """
const rect = (e) => {
  const r = e.getBoundingClientRect();
  return [r.left, r.right, r.width, r.height];
};
const rows = [...document.querySelectorAll("#alerts tbody tr")];
const badges = {};
document.querySelectorAll("article.node").forEach((card) => {
  badges[card.dataset.nodeId] = {badge: rect(card.querySelector("h3 .state")),
                                 title: rect(card.querySelector("h3 .title"))};
});
return {
  scrollWidth: document.documentElement.scrollWidth,
  rows: rows.map((tr) => ({
    display: getComputedStyle(tr).display,
    labels: [...tr.cells].map((c) => getComputedStyle(c, "::before").content),
    button: rect(tr.querySelector("button.ack")),
  })),
  badges: badges,
  metas: [...document.querySelectorAll("article.node .meta")].map((m) => m.textContent),
};
"""


ALERT_MESSAGES = """
return [...document.querySelectorAll("#alerts tbody tr")].map(
  (tr) => ({message: tr.querySelector(".alert-message").textContent}));
"""


def test_on_a_phone_alerts_are_cards_and_acknowledge_is_in_reach(
    spawn, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue 25, item 17: at 390x844 nothing needs sideways scrolling, each alert is a card
    whose Acknowledge button lies inside the screen and works; state badges keep their pill
    shape when a long title wraps."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    mon = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"], env=FAST)
    long_id = "studio-pc-in-the-back-room-with-a-long-id"
    # the long one declares an interval as one learned from beats is (said "every 1.1 s")
    for node, name, kind, every in (
        (long_id, "Studio PC in the back room, second floor", "studio-pc", 1.0641693592071533),
        ("pc", "PC", "test", None),
    ):
        requests.post(
            f"{mon.url}/api/ar/nodes/{node}/heartbeat",
            json={
                "node_name": name,
                "node_type": kind,
                "interval": every,
                "resources": {"cpu_percent": 5.0},
            },
            timeout=5,
        ).raise_for_status()
    _size(browser, 390, 844)
    browser.get(mon.url + "/")
    look = wait_for(
        lambda: (
            (found := browser.execute_script(PHONE_LOOK))
            and len(found["rows"]) == 2
            and len(found["badges"]) == 2
            and found
        ),
        timeout=20,
    )
    assert look["scrollWidth"] <= 390
    for row in look["rows"]:
        assert row["display"] == "block", row  # a card, not a table row
        assert row["labels"][:4] == ['"Node"', '"Cause"', '"Severity"', '"Message"'], row
        left, right = row["button"][:2]
        assert left >= 0 and right <= 390, row
    short, wrapped = look["badges"]["pc"], look["badges"][long_id]
    assert wrapped["title"][3] > 2 * short["badge"][3]  # the long title wraps
    for badge in (short["badge"], wrapped["badge"]):  # a pill: one line, wider than tall
        assert badge[3] == short["badge"][3] and badge[2] > badge[3], (short, wrapped)
    metas = " | ".join(look["metas"])
    assert "every 1.1 s" in metas and "expected every 1.1 s" in metas, metas
    messages = [row["message"] for row in browser.execute_script(ALERT_MESSAGES)]
    assert any(m.endswith("(expected every 1.1 s)") for m in messages), messages
    browser.save_screenshot(str(tmp_path / "dashboard-phone-alerts.png"))

    def acknowledge() -> bool:
        try:
            browser.find_elements(By.CSS_SELECTOR, "#alerts button.ack:not([disabled])")[0].click()
        except (IndexError, StaleElementReferenceException):
            return False  # (redrawn meanwhile: again)
        return True

    wait_for(acknowledge, timeout=10)
    wait_for(
        lambda: (
            "Acknowledged by dashboard"
            in browser.execute_script("return document.querySelector('#alerts tbody').textContent")
        ),
        timeout=10,
    )


def test_a_studio_holding_its_rate_says_what_it_turned_down(spawn, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 26: a backend whose processing costs more than a frame (the burn processor) with
    someone watching its preview: its quality governor turns the preview down to hold the
    rate, and the card's Quality row says so from the beats."""
    import socket

    mon = spawn("yl_monitor", ["--db", f"sqlite:///{tmp_path / 'm.db'}", "--no-checks"], env=FAST)
    cfg = tmp_path / "backend.yaml"
    cfg.write_text(
        f"media: {{folders: ['{tmp_path / 'media'}']}}\n"
        "monitor: {report_interval: 1}\n"
        "camera: {width: 640, height: 360, fps: 10}\n"
        "pipeline: {processors: [burn], burn_ms: 160}\n"
    )
    be = spawn(
        "ar_backend",
        ["--config", str(cfg), "--monitor-url", mon.url, "--source", "demo"],
        health_path="/health",
    )
    viewer = socket.create_connection(("127.0.0.1", be.port), timeout=10)
    viewer.sendall(b"GET /video_feed HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    viewer.setblocking(False)
    browser.get(mon.url + "/")

    def quality() -> str | None:
        with contextlib.suppress(BlockingIOError):
            while viewer.recv(1 << 20):  # watching: the preview is encoded
                pass
        look = browser.execute_script(LOOK, "ar-backend")
        row = (look or {}).get("live", {}).get("Quality", "")
        return row if "preview at 640 px" in row else None

    try:
        row = wait_for(quality, timeout=90)
    finally:
        viewer.close()
    assert row.startswith("holding 10 fps: preview"), row
    browser.save_screenshot(str(tmp_path / "dashboard-quality.png"))
