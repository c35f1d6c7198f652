"""Headless Chromium for the tests that look at the course as its people do: the reader at
the built book (test_reading.py), the student at an exercise in JupyterLab (test_lab.py).

Playwright drives Debian's Chromium (``apt-get install -y chromium``); its own browser
download is not used. Set ``CHROMIUM`` to use another Chromium binary.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# No first-run dialogs, and no calls home: this machine's network is closed, and a reader
# of the book on a train has none either.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL = ("Chromium is needed to test the book and the exercises in a browser, and there is "
           "none at {path}. Install Debian's package: `sudo apt-get install -y chromium` "
           "(.ci/run does), or point CHROMIUM at a Chromium binary.")


@contextlib.contextmanager
def chromium():
    """A headless Chromium browser (Playwright's ``Browser``). Fails, saying how to install
    Chromium, when there is none."""
    if not Path(CHROMIUM).exists():
        pytest.fail(INSTALL.format(path=CHROMIUM), pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: `.venv/bin/pip install -e '.[course]'`",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs; yields the
    base URL, ending in a slash."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
