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
    rows = browser.find_elements(By.CSS_SELECTOR, ".yb-timeline a.yb-tl-row")
    assert len(rows) >= 10 and len(browser.find_elements(By.CSS_SELECTOR, "svg.yb-timeline-svg rect.yb-bar")) >= 10
    label = rows[0].find_element(By.CSS_SELECTOR, ".yb-tl-label")
    # the whole title is page text, at a legible size, never cut with an ellipsis
    assert float(label.value_of_css_property("font-size").removesuffix("px")) >= 13 and "…" not in label.text.split(" · ")[1]
    bar = rows[0].find_element(By.CSS_SELECTOR, "svg.yb-timeline-svg")
    assert bar.size["width"] > 100 and bar.size["height"] >= 12
    browser.save_screenshot(str(SHOTS / "timeline.png"))


def test_relation_graph_renders(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "charts/graph/")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.yb-graph-svg")
    assert svg.size["width"] > 100 and svg.size["height"] > 50
    assert svg.find_elements(By.CSS_SELECTOR, "rect.yb-node")
    # no edge crosses a box it does not connect: sample each path and test the points against every other box
    crossings = browser.execute_script(GRAPH_CROSSINGS, svg)
    assert crossings == [], crossings
    browser.save_screenshot(str(SHOTS / "graph.png"))


def test_relation_graph_on_a_phone_is_one_column_and_legible(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True})
    try:
        browser.get(base_url + "charts/graph/")
        shown = [s for s in browser.find_elements(By.CSS_SELECTOR, "svg.yb-graph-svg") if s.is_displayed()]
        assert len(shown) == 1
        svg = shown[0]
        assert browser.execute_script(GRAPH_CROSSINGS, svg) == []
        # one box per row: every node at the same x; its title text at least 10 px high on the screen
        xs = {r.get_attribute("x") for r in svg.find_elements(By.CSS_SELECTOR, "rect.yb-node")}
        assert len(xs) == 1
        text = svg.find_element(By.CSS_SELECTOR, "a text")
        assert text.size["height"] >= 10, text.size
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


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


GRAPH_CROSSINGS = """
const svg = arguments[0], out = [];
const boxes = [...svg.querySelectorAll('rect.yb-node')].map(r => ({id: r.parentNode.querySelector('title').textContent,
  x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height')}));
for (const p of svg.querySelectorAll('path.yb-edge')) {
  const [src, , dst] = p.querySelector('title').textContent.split(' ');
  const len = p.getTotalLength();
  for (let s = 0; s <= len; s += 2) {
    const pt = p.getPointAtLength(s);
    for (const b of boxes) {
      if (b.id.endsWith('(' + src + ')') || b.id.endsWith('(' + dst + ')')) continue;
      if (pt.x > b.x + 1 && pt.x < b.x + b.w - 1 && pt.y > b.y + 1 && pt.y < b.y + b.h - 1) { out.push(src + ' -> ' + dst + ' crosses ' + b.id); break; }
    }
  }
}
return [...new Set(out)];
"""

# Pages a reader opens on a desktop (1400 px) and a phone (390 px): nothing may be wider than the page or need a
# horizontal scroll bar inside it (tables included).
WIDE_PAGES = {"region": "regions/500000/", "notice": "notices/cq-2018-medical-poverty-alleviation/",
              "example": "examples/cq-2023-dibao/", "graph": "charts/graph/", "timeline": "charts/timeline/"}
OVERFLOW = """
const W = document.documentElement.clientWidth, out = [];
if (document.documentElement.scrollWidth > W + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + W);
for (const el of document.querySelectorAll('article *')) {
  const r = el.getBoundingClientRect(), st = getComputedStyle(el);
  if (r.width === 0 || st.display === 'none') continue;
  if (r.right > W + 1 || r.left < -1) out.push(el.tagName + '.' + el.className + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + W);
  else if (['auto', 'scroll'].includes(st.overflowX) && el.scrollWidth > el.clientWidth + 1)
    out.push(el.tagName + '.' + el.className + ' scrolls sideways: ' + el.scrollWidth + ' > ' + el.clientWidth);
}
return out.slice(0, 10);
"""


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("name", sorted(WIDE_PAGES))
def test_nothing_wider_than_the_page(browser, base_url, name, width):
    mobile = width < 600
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile})
    try:
        browser.get(base_url + WIDE_PAGES[name])
        assert browser.execute_script("return window.innerWidth") == width
        wide = browser.execute_script(OVERFLOW)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": min(height, 4000), "deviceScaleFactor": 1, "mobile": mobile})
        browser.save_screenshot(str(SHOTS / f"{name}-{width}.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert wide == [], wide


def test_no_request_leaves_the_site(browser, base_url):
    """No call to a placeholder repository (the theme's GitHub stars widget) or anywhere else off the local server."""
    browser.get(base_url + "notices/cq-2018-medical-poverty-alleviation/")
    time.sleep(1)
    names = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [n for n in names if not n.startswith(base_url)]
    assert outside == [], outside
