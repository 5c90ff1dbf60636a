#!/usr/bin/env python3
"""Takes the README's console screenshots (docs/console-*.png) against the demo data.

    python3 scripts/console_screenshots.py PATH/TO/almanac [--out docs]

The same server and browser set-up as scripts/browser_tests.py (fixtures in tenant "demo",
Debian's chromium and chromedriver), plus scripts/run.sh's week of synthetic search
history (scripts/demo_searches.py); then each page in a state worth showing, at 1280x800
and (search, analytics) at 390 pixels wide.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import browser_tests as bt  # noqa: E402
import demo_searches  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


def shot(c, path, size="desktop"):
    c.size(size)
    time.sleep(0.6)
    c.driver.execute_script("""
        document.activeElement && document.activeElement.blur();
        for (const el of document.querySelectorAll('*')) if (el.scrollTop) el.scrollTop = 0;
        window.scrollTo(0, 0);""")
    time.sleep(0.3)
    c.driver.save_screenshot(path)
    print("wrote", path)
    c.size("desktop")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--out", default=os.path.join(bt.ROOT, "docs"))
    args = parser.parse_args()
    server = bt.Server(args.binary)
    console = None
    try:
        server.start()
        demo_searches.seed(server.base, server.token)
        time.sleep(2.5)  # the recorder writes the real searches within two seconds
        c = console = bt.Console(server, args.out)
        c.driver.get(server.base + "/console")
        c.wait(lambda: c.visible("signin-id"), message="the sign-in form")
        shot(c, os.path.join(args.out, "console-signin.png"))
        c.q("signin-id").send_keys(server.client_id)
        c.q("signin-secret").send_keys(server.client_secret)
        c.q("signin-submit").click()
        c.wait(lambda: c.visible("search-input"), message="the search page")

        bt.search_for(c, "pyhton")
        shot(c, os.path.join(args.out, "console-search.png"))
        shot(c, os.path.join(args.out, "console-search-phone.png"), "phone")

        c.go("#/timeline")
        c.wait(lambda: c.visible("histogram"), message="the histogram")
        c.idle()
        Select(c.q("range-preset")).select_by_value("custom")
        Select(c.q("time-zone")).select_by_value("Europe/Berlin")
        for testid, value in (("range-from", "2024-01-01T00:00"), ("range-to", "2024-05-01T00:00")):
            c.driver.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
                c.q(testid), value)
        Select(c.q("split-by")).select_by_value("source")
        c.q("timeline-apply").click()
        c.wait(lambda: '"split_by"' in c.driver.execute_script(
            "return document.querySelector('[data-testid=timeline-request]').textContent"), message="the split request")
        c.idle()
        shot(c, os.path.join(args.out, "console-timeline.png"))

        link = c.wait(lambda: c.qs("entity-link"), message="an entity link")[0]
        link.click()
        c.wait(lambda: c.visible("entity") and c.qs("event", c.q("history")), message="the history")
        c.idle()
        Select(c.q("history-order")).select_by_value("desc")
        time.sleep(1)
        c.idle()
        shot(c, os.path.join(args.out, "console-entity.png"))

        c.go("#/analytics")
        c.wait(lambda: c.visible("popular-queries"), message="the analytics page")
        Select(c.q("analytics-range")).select_by_value("7d")
        time.sleep(1.5)
        c.idle()
        shot(c, os.path.join(args.out, "console-analytics.png"))
        shot(c, os.path.join(args.out, "console-analytics-phone.png"), "phone")
    finally:
        if console:
            console.driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
