"""The built docs site in a real headless Chromium: a notice page, a chart, Chinese search, screenshots.

Skipped unless the site is built (site/index.html, or $YIBAO_SITE_DIR) and Debian's chromium, chromedriver and
selenium are present; with YIBAO_BROWSER_REQUIRED=1 (set by .ci/run) a missing piece fails instead of skipping.
Screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("YIBAO_SITE_DIR", ROOT / "site"))
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def _missing() -> str | None:
    if not (SITE / "index.html").is_file():
        return f"built site not found at {SITE} (run 'yibao docs')"
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        return "chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e '.[docs]')"
    return None


def _skip_or_fail() -> None:
    why = _missing()
    if why is None:
        return
    if os.environ.get("YIBAO_BROWSER_REQUIRED") == "1":
        pytest.fail(why)
    pytest.skip(why)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url():
    """The built site served on 127.0.0.1 from a thread, for this module only."""
    _skip_or_fail()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(base_url, tmp_path_factory):
    """Headless Debian chromium driven through /usr/bin/chromedriver (nothing downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _wait(check, timeout: float = 15.0):
    """Poll `check` until it returns something truthy, or fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for the page")
        time.sleep(0.2)


def test_home_page_renders_with_navigation(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url)
    assert "yibao-rules" in browser.title
    nav = browser.find_elements(By.CSS_SELECTOR, "nav.md-nav--primary a.md-nav__link")
    assert len(nav) > 20, "the generated navigation (by jurisdiction, by topic, ...) is missing"
    browser.save_screenshot(str(SHOTS / "home.png"))


def test_find_a_notice_page_from_the_index(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "notices/")
    link = _wait(lambda: [a for a in browser.find_elements(By.CSS_SELECTOR, "article a") if "重庆市医疗保障扶贫政策" in a.text])
    link[0].click()
    _wait(lambda: "/notices/cq-2018-medical-poverty-alleviation/" in browser.current_url)
    h1 = browser.find_element(By.CSS_SELECTOR, "article h1").text
    assert "重庆市医疗保障扶贫政策" in h1
    # A rule sits beside its clause, with its plain-words meaning and its anchor.
    rule = browser.find_element(By.ID, "inpatient-deductible-halved")
    assert rule.is_displayed()
    body = browser.find_element(By.CSS_SELECTOR, "article").text
    assert "起付线降低50%" in body
    assert "编辑此文件" in body
    browser.save_screenshot(str(SHOTS / "notice.png"))
    browser.execute_script("arguments[0].scrollIntoView();", rule)
    browser.save_screenshot(str(SHOTS / "notice-rule.png"))


def test_region_page_cost_chart_renders(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "regions/500000/")
    assert "重庆市" in browser.find_element(By.CSS_SELECTOR, "article h1").text
    browser.save_screenshot(str(SHOTS / "region.png"))
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.yb-chart-svg")
    assert charts, "no cost chart on the Chongqing page"
    chart = charts[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", chart)
    size = chart.size
    assert size["width"] > 100 and size["height"] > 50, size
    bands = chart.find_elements(By.CSS_SELECTOR, "polygon.yb-tier")
    assert len(bands) == 4, "expected one band per tier: out of pocket, basic, serious illness, assistance"
    browser.save_screenshot(str(SHOTS / "region-chart.png"))


def test_timeline_chart_renders(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "charts/timeline/")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.yb-timeline-svg")
    assert svg.size["width"] > 100 and svg.size["height"] > 50
    assert len(svg.find_elements(By.CSS_SELECTOR, "rect.yb-bar")) >= 10
    browser.save_screenshot(str(SHOTS / "timeline.png"))


def test_relation_graph_renders(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "charts/graph/")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.yb-graph-svg")
    assert svg.size["width"] > 100 and svg.size["height"] > 50
    assert svg.find_elements(By.CSS_SELECTOR, "rect.yb-node")
    browser.save_screenshot(str(SHOTS / "graph.png"))


def test_search_chinese_term_finds_dibao_page(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url)
    label = browser.find_element(By.CSS_SELECTOR, "label.md-header__button[for='__search']")
    if label.is_displayed():  # narrow screens: the search opens from a button
        label.click()
    box = _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, "input.md-search__input") if e.is_displayed()])[0]
    box.click()
    box.send_keys("低保")
    results = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "li.md-search-result__item a.md-search-result__link"), 20)
    hrefs = [a.get_attribute("href") for a in results]
    browser.save_screenshot(str(SHOTS / "search.png"))
    target = [h for h in hrefs if urlparse(h).path.rstrip("/").endswith("/categories/dibao")]
    assert target, f"search for 低保 did not list the 低保对象 page: {hrefs[:10]}"
    browser.get(target[0])
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text.startswith("低保对象")
