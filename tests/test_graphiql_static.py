"""Self-hosted GraphiQL: the page and its vendored files reference no external host.

Pure tests (no browser).  The browser check lives in tests/e2e_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

import gateway.graphiql as graphiql_mod
from gateway.graphiql import (
    DEFAULT_QUERY,
    PAGE_TITLE,
    STATIC_DIR,
    STATIC_FILES,
    graphiql_response,
    static_files_app,
)

ASSET_SUFFIXES = (".js", ".css")
ASSETS = sorted(p for p in STATIC_DIR.iterdir() if p.suffix in ASSET_SUFFIXES)

# Hosts that must never appear in anything the browser executes or applies.
CDN_HOSTS = (
    "unpkg.com",
    "esm.sh",
    "jsdelivr.net",
    "cdnjs.cloudflare.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "cdn.skypack.dev",
    "ga.jspm.io",
)


class _Collector(HTMLParser):
    """Collects URL-bearing attributes, <script> elements and inline <style>."""

    URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attr, value)
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script_text: list[str] = []
        self.style_attrs: list[str] = []
        self.style_tags = 0
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append((tag, name, value))
            if name == "style" and value:
                self.style_attrs.append(value)
        if tag == "script":
            self.scripts.append(attrs_d)
        if tag == "style":
            self.style_tags += 1
        self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script" and data.strip():
            self.inline_script_text.append(data)
        elif self._in == "title":
            self.title += data


def _parse(body: str) -> _Collector:
    c = _Collector()
    c.feed(body)
    c.close()
    return c


def _is_same_origin(url: str) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme == "data":
        return True
    return parts.scheme == "" and parts.netloc == "" and not url.strip().startswith("//")


def _page(**kwargs) -> tuple[str, dict[str, str]]:
    resp = graphiql_response(**kwargs)
    return resp.body.decode("utf-8"), dict(resp.headers)


# --- the page ---------------------------------------------------------------


def test_page_basics():
    resp = graphiql_response()
    assert resp.status_code == 200
    assert resp.media_type == "text/html"
    body = resp.body.decode("utf-8")
    c = _parse(body)
    assert c.title == PAGE_TITLE == "公共信用信息网关 · GraphiQL"
    assert 'id="graphiql"' in body
    assert 'data-endpoint="/graphql"' in body


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"endpoint": "/api/graphql", "static_prefix": "/assets/gq/"}],
    ids=["default", "custom"],
)
def test_page_references_no_external_host(kwargs):
    body, _ = _page(**kwargs)
    c = _parse(body)
    assert c.urls, "expected the page to reference its static files"
    external = [(t, a, v) for t, a, v in c.urls if not _is_same_origin(v)]
    assert external == []
    assert not re.search(r"https?://", body.replace("http://www.w3.org/", "")), body
    assert not re.search(r"(?<![:\w])//[a-z0-9.-]+\.[a-z]{2,}", body, re.I)


def test_every_referenced_static_file_exists():
    prefix = "/static/graphiql"
    body, _ = _page(static_prefix=prefix)
    c = _parse(body)
    referenced = [v for t, a, v in c.urls if not v.startswith("data:")]
    assert referenced
    names = []
    for url in referenced:
        path = urlsplit(url).path
        assert path.startswith(prefix + "/"), url
        name = path[len(prefix) + 1 :]
        assert (STATIC_DIR / name).is_file(), f"{url} -> {STATIC_DIR / name} missing"
        names.append(name)
    assert sorted(names) == sorted(STATIC_FILES)
    assert "init.js" in names and "graphiql.min.js" in names and "graphiql.min.css" in names


def test_custom_prefix_and_endpoint_are_used_and_escaped():
    body, _ = _page(endpoint='/gql?x="1"&y=<2>', static_prefix="/s/")
    assert 'data-endpoint="/gql?x=&quot;1&quot;&amp;y=&lt;2&gt;"' in body
    assert 'src="/s/init.js"' in body and "//init.js" not in body
    assert 'href="/s/graphiql.min.css"' in body


def test_no_inline_script_and_strict_csp():
    body, headers = _page()
    c = _parse(body)
    assert c.scripts and all(s.get("src") for s in c.scripts)
    assert c.inline_script_text == []
    assert c.style_tags == 0 and c.style_attrs == []
    assert not re.search(r"\son[a-z]+\s*=", body), "inline event handler attribute"
    csp = headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}
    assert directives["default-src"] == ["'none'"]
    for name in ("script-src", "style-src", "connect-src"):
        assert directives[name] == ["'self'"], (name, directives[name])
    assert set(directives["font-src"]) <= {"'self'", "data:"}
    assert set(directives["img-src"]) <= {"'self'", "data:"}
    assert "frame-ancestors" in directives
    assert headers["x-content-type-options"] == "nosniff"


def test_default_query_and_headers_editor_config():
    body, _ = _page()
    assert "catalogue { code name category visibility }" in DEFAULT_QUERY
    assert "catalogue { code name category visibility }" in body
    init = (STATIC_DIR / "init.js").read_text(encoding="utf-8")
    assert re.search(r"isHeadersEditorEnabled:\s*true", init)
    assert re.search(r"shouldPersistHeaders:\s*false", init)
    assert "data-endpoint" in init and "data-default-query" in init


# --- the vendored files -----------------------------------------------------


def test_static_dir_is_inside_the_package():
    pkg_dir = Path(graphiql_mod.__file__).resolve().parent
    assert STATIC_DIR == pkg_dir / "static" / "graphiql"
    assert Path(static_files_app().directory) == STATIC_DIR


def test_assets_present():
    names = {p.name for p in ASSETS}
    assert {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "init.js",
    } <= names


@pytest.mark.parametrize("asset", ASSETS, ids=lambda p: p.name)
def test_asset_has_no_external_reference(asset: Path):
    text = asset.read_text(encoding="utf-8")
    assert "sourceMappingURL" not in text, "strip source-map comments"
    assert "sourceURL=http" not in text
    # CSS url(...) / @import pointing anywhere but data: or relative paths
    for m in re.finditer(r"url\(\s*['\"]?([^'\")\s]*)", text):
        target = m.group(1)
        if asset.suffix == ".css":
            assert _is_same_origin(target), f"url({target[:80]}) in {asset.name}"
        else:
            assert not re.match(r"(https?:)?//", target), f"url({target[:80]}) in {asset.name}"
    for m in re.finditer(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]*)", text):
        assert _is_same_origin(m.group(1)), f"@import {m.group(1)[:80]} in {asset.name}"
    lowered = text.lower()
    for host in CDN_HOSTS:
        assert host not in lowered, f"{host} referenced in {asset.name}"


def test_licences_and_versions_documented():
    versions = (STATIC_DIR / "VERSIONS.md").read_text(encoding="utf-8")
    for lic in ("LICENSE.graphiql", "LICENSE.react", "LICENSE.react-dom"):
        path = STATIC_DIR / lic
        assert path.is_file(), lic
        assert "MIT License" in path.read_text(encoding="utf-8")
        assert lic in versions
    for asset in ASSETS:
        assert f"`{asset.name}`" in versions, f"{asset.name} not listed in VERSIONS.md"
    assert "3.9.0" in versions and "18.3.1" in versions


# --- served over HTTP -------------------------------------------------------


async def test_served_through_starlette():
    async def page(request):
        return graphiql_response()

    app = Starlette(
        routes=[
            Route("/graphql", page, methods=["GET"]),
            Mount("/static/graphiql", app=static_files_app()),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        resp = await client.get("/graphql")
        assert resp.status_code == 200
        assert "default-src 'none'" in resp.headers["content-security-policy"]
        for name in STATIC_FILES:
            r = await client.get(f"/static/graphiql/{name}")
            assert r.status_code == 200, name
            expected = "javascript" if name.endswith(".js") else "text/css"
            assert expected in r.headers["content-type"], (name, r.headers["content-type"])
        assert (await client.get("/static/graphiql/..%2Fgraphiql.py")).status_code == 404
