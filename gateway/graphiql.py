"""Self-hosted GraphiQL page for the gateway.

The gateway runs on networks without internet access, so the page and every
script, stylesheet and font it uses are served by the gateway itself from
``gateway/static/graphiql/`` (GraphiQL 3 UMD build + React 18 UMD builds, see
``VERSIONS.md`` there).  No CDN, no web fonts, no source-map URLs.

Usage (wiring is done by the application module)::

    from starlette.routing import Mount, Route
    from gateway.graphiql import graphiql_response, static_files_app

    routes = [
        Route("/graphql", lambda request: graphiql_response(), methods=["GET"]),
        Mount("/static/graphiql", app=static_files_app(), name="graphiql-static"),
    ]

The page bootstrap lives in ``static/graphiql/init.js`` and reads its
configuration from ``data-*`` attributes, so the Content-Security-Policy can
forbid inline scripts.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

__all__ = [
    "DEFAULT_QUERY",
    "GRAPHIQL_CSP",
    "PAGE_TITLE",
    "STATIC_DIR",
    "STATIC_FILES",
    "graphiql_response",
    "static_files_app",
]

#: Directory holding the vendored GraphiQL/React files (inside the package).
STATIC_DIR: Path = Path(__file__).resolve().parent / "static" / "graphiql"

#: Files the page loads, in load order (relative to the static prefix).
STYLESHEETS: tuple[str, ...] = ("graphiql.min.css",)
SCRIPTS: tuple[str, ...] = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "init.js",
)
STATIC_FILES: tuple[str, ...] = STYLESHEETS + SCRIPTS

PAGE_TITLE = "公共信用信息网关 · GraphiQL"

_INTRO = """\
# Public credit information gateway. Add a token in Headers to see more than PUBLIC records.
# Headers example: {"Authorization": "Bearer <token>", "X-Query-Purpose": "licensing",
#                   "X-Query-Basis": "环发改函〔2026〕12号"}
# Chinese values may be typed as they are: this page sends every header value that is not
# plain ASCII as percent-encoded UTF-8 (encodeURIComponent), which the gateway decodes.
"""

DEFAULT_QUERY = _INTRO + """\
{
  catalogue { code name category visibility }
}
"""

JOINED_QUERY = _INTRO + """\
# Stored records and a department's live facts in one query: `licences` comes live from the
# licensing bureau's source (serve --demo-source), under the rules of its catalogue item.
{
  searchSubjects(name: "有限公司", first: 3) {
    code
    name
    records(first: 3) { totalCount }
    licences { number kind status validUntil }
  }
}
"""


def default_query_for(schema) -> str:
    """The page's first query: the joined one when the served schema has the demo source's `licences`."""
    subject = schema._schema.type_map.get("Subject")
    return JOINED_QUERY if subject is not None and "licences" in subject.fields else DEFAULT_QUERY


#: Everything restricted to the gateway's own origin.  Fonts are embedded in
#: graphiql.min.css as data: URIs, hence ``font-src data:``; GraphiQL's icons
#: are inline SVG; a few CSS backgrounds and the (empty) favicon are data: URIs.  GraphiQL/CodeMirror
#: set element styles through the CSSOM, which ``style-src 'self'`` permits.
GRAPHIQL_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

_SECURITY_HEADERS = {
    "Content-Security-Policy": GRAPHIQL_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def graphiql_response(
    endpoint: str = "/graphql",
    static_prefix: str = "/static/graphiql",
    *,
    default_query: str = DEFAULT_QUERY,
) -> HTMLResponse:
    """Return the GraphiQL HTML page.

    ``endpoint`` is where the page POSTs JSON GraphQL requests (must be on the
    gateway's own origin: the CSP has ``connect-src 'self'``).
    ``static_prefix`` is where :func:`static_files_app` is mounted.
    """
    prefix = static_prefix.rstrip("/")
    links = "\n".join(
        f'  <link rel="stylesheet" href="{_attr(f"{prefix}/{name}")}">' for name in STYLESHEETS
    )
    scripts = "\n".join(
        f'  <script src="{_attr(f"{prefix}/{name}")}"></script>' for name in SCRIPTS
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>{_attr(PAGE_TITLE)}</title>
  <link rel="icon" href="data:,">
{links}
</head>
<body>
  <div id="graphiql" data-endpoint="{_attr(endpoint)}" data-default-query="{_attr(default_query)}">正在加载 GraphiQL… / Loading GraphiQL…</div>
  <noscript>GraphiQL 需要启用 JavaScript。GraphiQL requires JavaScript; POST JSON queries to {_attr(endpoint)} instead.</noscript>
{scripts}
</body>
</html>
"""
    return HTMLResponse(page, headers=dict(_SECURITY_HEADERS))


def static_files_app() -> StaticFiles:
    """ASGI app serving the vendored GraphiQL files; mount at ``/static/graphiql``."""
    return StaticFiles(directory=STATIC_DIR)
