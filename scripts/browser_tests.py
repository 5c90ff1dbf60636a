#!/usr/bin/env python3
"""Browser tests of the console in a real headless Chromium.

    python3 scripts/browser_tests.py PATH/TO/almanac [--out DIR]    # exit 0 = every check held

Starts its own `almanac serve` on a free loopback port with a temporary data directory
holding the demo fixtures (fixtures/products_2k.ndjson and fixtures/events_5k.ndjson in
tenant "demo", one client from `almanac client create`), Redis from ALMANAC_TEST_REDIS_URL
when set (else --no-cache), then drives Debian's chromium through Debian's chromedriver
with Selenium (PyPI). The driver path is given explicitly and SE_OFFLINE is set, so
Selenium Manager never tries the network.

Checks: sign in; a misspelled word shows the corrected note and hits; ticking a brand
facet gives the total the API gives; the timeline over a picked range draws as many bars
as the API returns buckets, with the same counts; an event's entity opens its history;
a query just searched shows in the popular list. On every page at 1280x800 and at a
390-pixel-wide phone size: no horizontal overflow, every control labelled, the controls
reachable with Tab, no CSP violation or script error in the console log; a screenshot of
each page at both sizes goes to DIR (default .build/test-output/browser).
Run by scripts/test.sh.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request

os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TENANT = "demo"
CHROMIUM = os.environ.get("ALMANAC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ALMANAC_CHROMEDRIVER", "/usr/bin/chromedriver")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`almanac serve` on a fresh data directory holding the fixtures."""

    def __init__(self, binary):
        self.binary = binary
        self.data = tempfile.mkdtemp(prefix="almanac-browser-", dir=os.environ.get("ALMANAC_TEST_TMP") or None)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def run(self, *args):
        return subprocess.run([self.binary, *args, "--data", self.data], check=True, capture_output=True, text=True).stdout

    def start(self):
        self.run("import", "products", os.path.join(ROOT, "fixtures/products_2k.ndjson"), "--tenant", TENANT)
        self.run("import", "events", os.path.join(ROOT, "fixtures/events_5k.ndjson"), "--tenant", TENANT)
        client = json.loads(self.run("client", "create", "--tenant", TENANT, "--name", "browser-tests",
                                     "--scopes", "catalogue:read catalogue:write events:read events:write admin"))
        self.client_id, self.client_secret = client["client_id"], client["client_secret"]
        redis = os.environ.get("ALMANAC_TEST_REDIS_URL")
        cache = ["--redis", redis] if redis else ["--no-cache"]
        self.log = open(os.path.join(self.data, "serve.log"), "w")
        env = dict(os.environ, LOG_LEVEL="warning")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--port", str(self.port), *cache],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/ready", timeout=2) as r:
                    if r.status == 200:
                        ready = json.load(r)
                        if ready["indexes"]["products"]["lag"] == 0 and ready["indexes"]["events"]["lag"] == 0:
                            break
            except Exception:
                pass
            if self.process.poll() is not None:
                raise SystemExit("almanac serve exited: " + open(self.log.name).read()[-2000:])
            time.sleep(0.2)
        else:
            raise SystemExit("almanac serve did not get ready within 60 s")
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.client_id,
                                       "client_secret": self.client_secret}).encode()
        with urllib.request.urlopen(self.base + "/v1/auth/token", data=form, timeout=10) as r:
            self.token = json.load(r)["access_token"]

    def api(self, method, path, body=None, query=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.load(r)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.data, ignore_errors=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Console:
    def __init__(self, server, out):
        self.server = server
        self.out = out
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                    "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--metrics-recording-only", "--hide-scrollbars", "--force-color-profile=srgb",
                    "--window-size=1280,800", "--lang=en-GB"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        self.size("desktop")
        self.problems = []

    def size(self, name):
        w, h = SIZES[name]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": name == "phone"})
        time.sleep(0.3)

    def wait(self, predicate, timeout=15, message="condition"):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(lambda d: predicate())
        except Exception as e:
            raise Failure(f"timed out after {timeout} s waiting for {message}") from e

    def q(self, testid, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def qs(self, testid, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def visible(self, testid):
        try:
            return self.q(testid).is_displayed()
        except Exception:
            return False

    def go(self, hash_):
        self.driver.execute_script("location.hash = arguments[0]", hash_)

    def idle(self):
        """No request of the page in flight (the pages mark themselves aria-busy)."""
        self.wait(lambda: not self.driver.find_elements(By.CSS_SELECTOR, "[aria-busy='true']"), message="the page to settle")

    def logs(self):
        """Console errors and CSP violations since the last call."""
        bad = []
        for entry in self.driver.get_log("browser"):
            text = entry.get("message", "")
            if entry.get("level") == "SEVERE" or "Content Security Policy" in text or "Refused to" in text:
                # A failed API call in a negative test shows up as a network error: none are expected here.
                bad.append(text)
        return bad

    def audit(self, page):
        """At both sizes: layout fits, controls labelled and reachable by Tab; a screenshot each."""
        for name in ("desktop", "phone"):
            self.size(name)
            time.sleep(0.4)
            width = SIZES[name][0]
            scroll = self.driver.execute_script("return document.documentElement.scrollWidth")
            check(scroll <= width + 1, f"{page} at {width}px: the page is {scroll}px wide (horizontal overflow)")
            unlabelled = self.driver.execute_script("""
                const out = [];
                for (const el of document.querySelectorAll('input, select, textarea, button')) {
                  if (el.type === 'hidden' || el.closest('[hidden]')) continue;
                  const name = (el.labels && el.labels.length && [...el.labels].map(l => l.textContent).join(' ').trim())
                    || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim()) || '';
                  if (!name) out.push(el.outerHTML.slice(0, 120));
                }
                return out;""")
            check(not unlabelled, f"{page} at {width}px: unlabelled controls: {unlabelled}")
            path = os.path.join(self.out, f"console-{page}-{name}.png")
            self.driver.execute_script("""
                document.activeElement && document.activeElement.blur();
                for (const el of document.querySelectorAll('*')) if (el.scrollTop) el.scrollTop = 0;
                window.scrollTo(0, 0);""")
            time.sleep(0.2)
            self.driver.save_screenshot(path)
        self.size("desktop")
        bad = self.logs()
        check(not bad, f"{page}: console errors or CSP violations: {bad}")

    def tab_reaches(self, testids, limit=400):
        """Tabbing from the top of the page focuses each of `testids` at some point."""
        self.driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0,0)")
        body = self.driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        seen = set()
        for _ in range(limit):
            testid = self.driver.execute_script(
                "const a = document.activeElement; return a ? (a.dataset.testid || a.closest('[data-testid]')?.dataset.testid || a.tagName) : null")
            seen.add(testid)
            if all(t in seen for t in testids):
                return
            self.driver.switch_to.active_element.send_keys(Keys.TAB)
        check(False, f"Tab never reached {sorted(set(testids) - seen)}")


def test_sign_in(c, s):
    c.driver.get(s.base + "/console")
    c.wait(lambda: c.visible("signin-id"), message="the sign-in form")
    c.audit("signin")
    c.q("signin-id").send_keys(s.client_id)
    c.q("signin-secret").send_keys(s.client_secret)
    c.q("signin-submit").click()
    c.wait(lambda: c.visible("search-input"), message="the search page after signing in")
    c.idle()
    stored = c.driver.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    check("eyJ" not in stored, "the token must stay in memory (found in web storage or a cookie)")


def search_for(c, text):
    """Types `text` into the search box and waits until the page shows its answer."""
    box = c.q("search-input")
    box.clear()
    box.send_keys(text)
    c.wait(lambda: c.driver.execute_script(
        "const t = document.querySelector('[data-testid=total]'); return t && t.dataset.q === arguments[0]", text),
        message=f"the answer for '{text}'")
    c.idle()


def test_corrected(c, s):
    search_for(c, "pyhton")
    c.wait(lambda: c.visible("corrected") and len(c.qs("hit")) > 0, message="the corrected note and hits for 'pyhton'")
    note = c.q("corrected").text
    api = s.api("GET", "/v1/products/search", query={"q": "pyhton"})
    check(api["query"].get("corrected") and api["query"]["corrected"] in note, f"corrected note '{note}' vs API {api['query']}")
    check(int(c.q("total").get_attribute("data-value")) == api["total"]["value"], "total differs from the API")
    check(c.driver.find_elements(By.CSS_SELECTOR, '[data-testid="hit"] mark'), "no highlighted matches in the hits")
    c.tab_reaches(["search-input", "sort", "filter-expression", "facet-brand"])
    c.audit("search")


def test_brand_facet(c, s):
    search_for(c, "library")
    check(len(c.qs("hit")) > 0, "no hits for 'library'")
    first = c.q("facet-brand").find_elements(By.CSS_SELECTOR, "input[type=checkbox]")[0]
    brand = first.get_attribute("value")
    facet_count = int(c.driver.execute_script(
        "return document.querySelector('[data-testid=facet-brand] li .count').textContent").replace(",", ""))
    first.click()
    c.wait(lambda: brand in (c.q("total").get_attribute("data-filter") or ""), message="the answer filtered by the ticked brand")
    c.idle()
    shown = int(c.q("total").get_attribute("data-value"))
    expression = c.q("filter-expression").get_attribute("value")
    # The same question to the API (with facets, so the total is exact, as the page's is).
    api = s.api("GET", "/v1/products/search", query={
        "q": "library", "filter": f"brand = {json.dumps(brand)}", "facets": "brand,category,tags,in_stock", "limit": 10})
    check(api["total"]["relation"] == "eq" and c.q("total").get_attribute("data-relation") == "eq", "a total is not exact")
    check(shown == api["total"]["value"], f"brand {brand}: page says {shown}, API {api['total']['value']}")
    check(shown == facet_count, f"brand {brand}: the facet said {facet_count}, the total is {shown}")
    check(brand in expression, f"the filter expression '{expression}' does not name the brand")
    check(c.q("facet-brand").find_elements(By.CSS_SELECTOR, "input:checked"), "the brand box is not ticked")
    # Untick again for the pages that follow.
    c.q("facet-brand").find_elements(By.CSS_SELECTOR, "input:checked")[0].click()
    c.wait(lambda: c.q("total").get_attribute("data-filter") == "", message="the unfiltered answer")
    c.idle()


def test_timeline(c, s):
    c.go("#/timeline")
    c.wait(lambda: c.visible("histogram"), message="the timeline histogram")
    c.idle()
    Select(c.q("range-preset")).select_by_value("custom")
    Select(c.q("time-zone")).select_by_value("UTC")
    for testid, value in (("range-from", "2024-01-01T00:00"), ("range-to", "2024-02-01T00:00")):
        el = c.q(testid)
        c.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", el, value)
    Select(c.q("range-preset")).select_by_value("custom")
    c.q("timeline-apply").click()
    c.wait(lambda: '"2024-01-01T00:00:00Z"' in c.driver.execute_script(
        "return document.querySelector('[data-testid=timeline-request]').textContent"), message="the request for the picked range")
    c.idle()
    request = json.loads(c.driver.execute_script("return document.querySelector('[data-testid=timeline-request]').textContent"))
    api = s.api("POST", "/v1/events/aggregate", body=request)
    buckets = api["aggs"]["histogram"]["buckets"]
    bars = c.qs("bar", c.q("histogram"))
    counts = [float(b.get_attribute("data-count")) for b in bars]
    check(len(bars) == len(buckets), f"{len(bars)} bars, the API returns {len(buckets)} buckets")
    check(counts == [b["count"] for b in buckets], "bar counts differ from the API's bucket counts")
    check(len(buckets) == 31 and sum(counts) > 0, f"expected 31 non-empty daily buckets in January 2024, got {len(buckets)}")
    check(len(c.qs("event")) > 0, "no events listed")
    c.tab_reaches(["range-preset", "range-from", "time-zone", "timeline-q", "timeline-filter", "split-by", "timeline-apply"])
    # Split by type: still one bar per bucket.
    Select(c.q("split-by")).select_by_value("type")
    c.wait(lambda: '"split_by"' in c.driver.execute_script(
        "return document.querySelector('[data-testid=timeline-request]').textContent"), message="the split request")
    c.idle()
    check(len(c.qs("bar", c.q("histogram"))) == len(buckets), "a split histogram has another number of bars")
    c.audit("timeline")


def test_entity_history(c, s):
    link = c.wait(lambda: c.qs("entity-link"), message="an entity link in the events list")[0]
    href = link.get_attribute("href")
    link.click()
    c.wait(lambda: c.visible("entity") and len(c.qs("event", c.q("history"))) > 0, message="the entity's history")
    c.idle()
    heading = c.q("entity").text
    etype, eid = [urllib.parse.unquote(p) for p in href.split("#/entity/")[1].split("/", 1)]
    api = s.api("GET", f"/v1/entities/{urllib.parse.quote(etype, safe='')}/{urllib.parse.quote(eid, safe='')}/events", query={"limit": 1})
    check(eid in heading, f"the heading '{heading}' does not name {eid}")
    check(int(c.q("history-total").get_attribute("data-value")) == api["total"]["value"], "history total differs from the API")
    c.audit("entity")


def test_popular(c, s):
    c.go("#/search")
    c.wait(lambda: c.qs("search-input"), message="the search page")
    search_for(c, "openssl")
    check(len(c.qs("hit")) > 0, "no hits for 'openssl'")
    c.go("#/analytics")
    c.wait(lambda: c.visible("popular-queries"), message="the analytics page")
    deadline = time.time() + 25

    def listed():
        return c.driver.execute_script(
            "return [...document.querySelectorAll('[data-testid=popular-queries] [data-testid=query-row]')].some(r => r.dataset.q === 'openssl')")

    while not listed():
        check(time.time() < deadline, "'openssl' did not appear in the popular queries within 25 s")
        time.sleep(1)
        c.q("analytics-refresh").click()
    check(c.visible("zero-result-queries"), "no zero-result table")
    check(len(c.qs("bar", c.q("histogram"))) > 0, "no searches-over-time bars")
    c.idle()
    c.audit("analytics")


TESTS = [test_sign_in, test_corrected, test_brand_facet, test_timeline, test_entity_history, test_popular]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--out", default=os.path.join(ROOT, ".build/test-output/browser"))
    args = parser.parse_args()
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            raise SystemExit(f"browser_tests: {path} is missing (apt-get install chromium chromium-driver)")
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    server = Server(args.binary)
    console = None
    failures = []
    try:
        server.start()
        print(f"browser_tests: server ready in {time.time() - started:.1f} s", flush=True)
        console = Console(server, args.out)
        for test in TESTS:
            t0 = time.time()
            try:
                test(console, server)
                print(f"  ok   {test.__name__} ({time.time() - t0:.1f} s)", flush=True)
            except Exception as e:  # noqa: BLE001
                failures.append(test.__name__)
                print(f"  FAIL {test.__name__} ({time.time() - t0:.1f} s): {e}", flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
                try:
                    console.driver.save_screenshot(os.path.join(args.out, f"failure-{test.__name__}.png"))
                except Exception:  # noqa: BLE001
                    pass
                if test is test_sign_in:
                    break
    finally:
        if console:
            console.driver.quit()
        if failures and server.process:
            try:
                print("--- serve.log (tail) ---\n" + open(server.log.name).read()[-3000:])
            except Exception:  # noqa: BLE001
                pass
        server.stop()
    print(f"browser_tests: {len(TESTS) - len(failures)}/{len(TESTS)} passed in {time.time() - started:.1f} s; screenshots in {args.out}")
    print(f"browser: {len(TESTS) - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
