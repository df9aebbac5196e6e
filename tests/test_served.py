"""The real server, as `make serve` runs it: first start creates the database and loads the demo."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e_browser import chromium_available, run_query_in_graphiql
from tests.server import running_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("served")) as base:
        yield base


def test_first_start_serves_the_demo_data(served):
    query = "{ catalogue { code } departments { code } searchSubjects(name: \"有限公司\", first: 5) { code " \
            "records(first: 3) { totalCount edges { node { visibility } } } } }"
    body = httpx.post(f"{served}/graphql", json={"query": query}, timeout=10).json()
    assert "errors" not in body, body
    data = body["data"]
    assert len(data["catalogue"]) >= 20 and len(data["departments"]) >= 10
    assert len(data["searchSubjects"]) == 5
    for subject in data["searchSubjects"]:
        assert {e["node"]["visibility"] for e in subject["records"]["edges"]} <= {"PUBLIC"}


def test_graphiql_page_is_served_with_its_assets(served):
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "GraphiQL" in page.text
    for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "init.js"):
        response = httpx.get(f"{served}/static/graphiql/{asset}", timeout=10)
        kind = "text/css" if asset.endswith(".css") else "javascript"
        assert response.status_code == 200 and kind in response.headers["content-type"] and response.content, asset


def test_graphiql_runs_a_query_in_headless_chromium_without_internet(served):
    reason = chromium_available()
    if reason:
        pytest.skip(reason)
    run = run_query_in_graphiql(served, "{ departments { code name } }", timeout=60)
    # the result pane shows the answer itself: the departments' codes and names, not just any JSON
    assert '"departments"' in run.result_text and '"code"' in run.result_text, run.result_text
    assert '"XYZX"' in run.result_text and "环翠区社会信用管理中心" in run.result_text, run.result_text
    assert '"errors"' not in run.result_text, run.result_text
    assert run.external_urls == [], run.external_urls
