"""Helpers to drive the gateway's self-hosted GraphiQL page in headless Chromium.

Not a test module: e2e tests import it, e.g.::

    from e2e_browser import chromium_available, run_query_in_graphiql

    reason = chromium_available()
    if reason:
        pytest.skip(reason)
    run = run_query_in_graphiql(base_url, "{ catalogue { code } }")
    assert '"data"' in run.result_text
    assert run.external_urls == []

Uses Debian's ``chromium`` and ``chromium-driver`` packages
(``/usr/bin/chromium``, ``/usr/bin/chromedriver``; override with the
``CHROMIUM_BIN`` / ``CHROMEDRIVER_BIN`` environment variables).  Selenium
Manager is never involved (both paths are given explicitly), so nothing is
downloaded.  Every run uses a fresh, throw-away profile directory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CHROMIUM_BIN = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER_BIN = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-default-browser-check",
    "--disable-extensions",
    "--window-size=1400,900",
)

_INSTALL_HINT = "apt-get install chromium chromium-driver"

# JS snippets.  GraphiQL 3 uses CodeMirror 5, whose instance hangs off the
# .CodeMirror element.
_JS_EDITOR_READY = (
    "var el = document.querySelector('.graphiql-query-editor .CodeMirror');"
    "return !!(el && el.CodeMirror);"
)
_JS_SET_QUERY = (
    "var cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;"
    "cm.setValue(arguments[0]); return cm.getValue();"
)
_JS_SET_HEADERS = (
    "var el = document.querySelector("
    "'.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');"
    "if (!el || !el.CodeMirror) { return false; }"
    "el.CodeMirror.setValue(arguments[0]); return true;"
)
_JS_RESULT_TEXT = (
    "var el = document.querySelector('.result-window .CodeMirror');"
    "if (el && el.CodeMirror) { return el.CodeMirror.getValue(); }"
    "var w = document.querySelector('.result-window');"
    "return w ? w.innerText : '';"
)


@dataclass
class GraphiQLRun:
    """Outcome of :func:`run_query_in_graphiql`."""

    result_text: str
    #: URLs the page requested from any host other than base_url's host:port.
    external_urls: list[str]
    #: Browser console messages ("LEVEL: message"), e.g. CSP violations.
    console_messages: list[str] = field(default_factory=list)
    #: Every http(s)/ws(s) URL the page requested (same-origin included).
    requested_urls: list[str] = field(default_factory=list)


def chromium_available() -> str | None:
    """Return None if headless Chromium + chromedriver + selenium are usable,
    else a message saying why not."""
    missing = [
        path
        for path in (CHROMIUM_BIN, CHROMEDRIVER_BIN)
        if not (os.path.isfile(path) and os.access(path, os.X_OK))
    ]
    if missing:
        return f"chromium/chromedriver not installed ({', '.join(missing)} missing): {_INSTALL_HINT}"
    try:
        import selenium.webdriver  # noqa: F401
    except ImportError:
        return "selenium not installed: pip install selenium (the project's [test] extra)"
    return None


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None:
        port = {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    return f"{host}:{port}"


def _requested_urls(performance_log: list[dict]) -> list[str]:
    urls: list[str] = []
    for entry in performance_log:
        try:
            message = json.loads(entry["message"])["message"]
        except (KeyError, TypeError, ValueError):
            continue
        method = message.get("method")
        params = message.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
        elif method == "Network.webSocketCreated":
            url = params.get("url", "")
        else:
            continue
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and url not in urls:
            urls.append(url)
    return urls


def _make_driver(profile_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM_BIN
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER_BIN), options=options)


@contextmanager
def chromium_driver():
    """A headless Chromium (selenium) on a fresh, throw-away profile; quit and removed afterwards."""
    reason = chromium_available()
    if reason:
        raise RuntimeError(reason)
    profile_dir = tempfile.mkdtemp(prefix="graphiql-chromium-")
    driver = None
    try:
        driver = _make_driver(profile_dir)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


def run_query_in_graphiql(
    base_url: str,
    query: str,
    timeout: float = 20,
    *,
    headers: dict[str, str] | None = None,
    screenshot: str | None = None,
) -> GraphiQLRun:
    """Open ``{base_url}/graphql`` in headless Chromium, replace the query
    editor's content with ``query``, run it and return the result pane's text
    together with any URLs requested from another host.

    Raises ``TimeoutError`` (with the result text and console log) if the
    editor does not appear or the result does not contain ``"data"`` within
    ``timeout`` seconds.  ``headers``: optional request headers typed into
    GraphiQL's Headers editor (e.g. ``{"Authorization": "Bearer ..."}``).
    ``screenshot``: optional PNG path written after the result appears (or on
    timeout).
    """
    reason = chromium_available()
    if reason:
        raise RuntimeError(reason)

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = base_url.rstrip("/")
    base_netloc = _netloc(base)
    deadline = time.monotonic() + timeout
    profile_dir = tempfile.mkdtemp(prefix="graphiql-chromium-")
    driver = None
    try:
        driver = _make_driver(profile_dir)
        driver.set_page_load_timeout(timeout)
        driver.get(f"{base}/graphql")

        def remaining() -> float:
            return max(0.5, deadline - time.monotonic())

        def fail(what: str, result: str = "") -> TimeoutError:
            if screenshot:
                driver.save_screenshot(screenshot)
            console = [f"{m.get('level')}: {m.get('message')}" for m in driver.get_log("browser")]
            return TimeoutError(
                f"{what} within {timeout}s; result pane: {result!r}; console: {console}"
            )

        try:
            WebDriverWait(driver, remaining(), poll_frequency=0.1).until(
                lambda d: d.execute_script(_JS_EDITOR_READY)
            )
        except Exception as exc:  # selenium TimeoutException
            raise fail("GraphiQL query editor did not appear") from exc

        driver.execute_script(_JS_SET_QUERY, query)
        if headers:
            # The page opens with the Headers tab shown (defaultEditorToolsVisibility).
            if not driver.execute_script(_JS_SET_HEADERS, json.dumps(headers)):
                raise RuntimeError("GraphiQL headers editor not found")
        driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()

        result = ""

        def has_data(d) -> bool:
            nonlocal result
            result = d.execute_script(_JS_RESULT_TEXT) or ""
            return '"data"' in result

        try:
            WebDriverWait(driver, remaining(), poll_frequency=0.1).until(has_data)
        except Exception as exc:
            raise fail('result pane did not show "data"', result) from exc

        if screenshot:
            driver.save_screenshot(screenshot)

        console = [f"{m.get('level')}: {m.get('message')}" for m in driver.get_log("browser")]
        requested = _requested_urls(driver.get_log("performance"))
        external = [u for u in requested if _netloc(u) != base_netloc]
        return GraphiQLRun(
            result_text=result,
            external_urls=external,
            console_messages=console,
            requested_urls=requested,
        )
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)
