"""Regenerate docs/screenshot-agent.png: the demo's "at a glance" page of a technician.

Usage: start `osit serve` on a demo installation, then
    python scripts/screenshot.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot-agent.png"

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(BASE + "/login/")
    page.fill("input[name=username]", "tech-appdev")
    page.fill("input[name=password]", "tech-appdev")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(OUT))
    browser.close()
print(f"wrote {OUT}")
