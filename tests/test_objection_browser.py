"""End to end in headless Chromium (issue 16, "Done when"): a subject uploads an evidence file and files
its objection from GraphiQL on a real server; the credit centre compares (SAME) and the provider
upholds with a correction, over HTTP; the subject then sees the result, and reads its evidence
back, in the same browser.

The file is uploaded from the GraphiQL page's own JavaScript (`fetch` with a `FormData` holding
the file as a Blob), as a page for subjects would; every wait is explicit (no sleeps).
"""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest

from tests import world
from tests.e2e_browser import _JS_EDITOR_READY, _JS_RESULT_TEXT, _JS_SET_HEADERS, _JS_SET_QUERY, \
    chromium_available, chromium_driver
from tests.server import running_gateway, served_token
from tests.test_cases import penalty

PDF = b"%PDF-1.4\n% evidence of the fine actually paid\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SUBJECT = world.org_code(1, series="EW")

UPLOAD_JS = """
const [token, subject, name, b64, done] = arguments;
const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
const form = new FormData();
form.append('file', new Blob([bytes], {type: 'application/pdf'}), name);
fetch('/evidence', {method: 'POST', headers: {'Authorization': 'Bearer ' + token}, body: form})
  .then(async r => done({status: r.status, body: await r.json()}), e => done({error: String(e)}));
"""
READ_BACK_JS = """
const [token, url, done] = arguments;
fetch(url, {headers: {'Authorization': 'Bearer ' + token}}).then(async r => {
  const digest = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
  done({status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'),
        sha256: Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('')});
}, e => done({error: String(e)}));
"""
FILE = """mutation File($i: FileObjectionInput!) { fileObjection(input: $i) {
  case { id state nextParty dueOn evidence { id filename mediaType sha256 } } errors { code field message } } }"""
RESULT = """query Result($id: ID!) { node(id: $id) { ... on Case { state decisionReason closedAt
  evidence { filename sha256 url } record { ... on PenaltyRecord { fineAmount } } } } }"""


def _graphql(base: str, token: str, query: str, variables: dict) -> dict:
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _subject_token(data_dir) -> str:
    from domain.catalogue import load_profile
    from domain.roles import DepartmentRegistry
    from gateway.identity import load_or_create_dev_secret, mint_token

    return mint_token(load_or_create_dev_secret(data_dir), user="ew-subject", subject=SUBJECT, name=None,
                      department=None, roles=[], departments=DepartmentRegistry.of(load_profile("huancui")))


def _run_in_graphiql(driver, wait, query: str, token: str, expect: str) -> dict:
    """Type `query` and the token into the open GraphiQL page, run it, and wait until the result
    pane shows `expect`; the result as JSON. The documents are anonymous operations: GraphiQL
    parses the editor's text after a pause and may send the previous document's operation name
    with a new one typed in by script."""
    from selenium.common.exceptions import TimeoutException

    wait.until(lambda d: d.execute_script(_JS_EDITOR_READY))
    before = driver.execute_script(_JS_RESULT_TEXT) or ""
    wait.until(lambda d: d.execute_script(_JS_SET_QUERY, query) == query)
    assert driver.execute_script(_JS_SET_HEADERS, json.dumps({"Authorization": f"Bearer {token}"}))
    driver.find_element("css selector", ".graphiql-execute-button").click()
    shown = ""

    def answered(d) -> bool:
        nonlocal shown
        shown = d.execute_script(_JS_RESULT_TEXT) or ""
        return shown != before and expect in shown

    try:
        wait.until(answered)
    except TimeoutException:
        console = [f"{m.get('level')}: {m.get('message')}" for m in driver.get_log("browser")]
        raise AssertionError(f"GraphiQL did not show {expect} for {query!r}: result pane {shown!r}, "
                             f"console {console}") from None
    return json.loads(shown)


def _literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_a_subject_files_an_objection_with_evidence_from_graphiql_and_sees_it_upheld(tmp_path):
    reason = chromium_available()
    if reason:
        pytest.skip(f"{reason} (the objection's end-to-end test; `.ci/run` installs them)")
    from selenium.webdriver.support.ui import WebDriverWait

    data = tmp_path / "data"
    with running_gateway(data, env={"LOAD_DEMO_ON_EMPTY": "false"}) as base, chromium_driver() as driver:
        provider = served_token(data, user="ew-scjg", department="SCJG", roles=("officer",))
        operator = served_token(data, user="ew-op", department="XYZX", roles=("operator",))
        subject = _subject_token(data)
        stored = _graphql(base, provider, """mutation($r: [RecordInput!]!) { submitRecords(input: {records: $r,
            mode: ALL_OR_NOTHING}) { result { outcomes { recordId status } } } }""",
                          {"r": [penalty(SUBJECT, 9901, "2026-10-21")]})
        outcome = stored["submitRecords"]["result"]["outcomes"][0]
        assert outcome["status"] == "STORED", outcome
        from resolvers.node_ids import NodeKind, global_id
        record_id = global_id(NodeKind.RECORD, outcome["recordId"])

        wait = WebDriverWait(driver, 120, poll_frequency=0.1)  # a loaded CI machine
        driver.set_script_timeout(120)
        driver.get(f"{base}/graphql")
        wait.until(lambda d: d.execute_script(_JS_EDITOR_READY))
        # 1. the subject uploads its evidence from the page
        uploaded = driver.execute_async_script(UPLOAD_JS, subject, SUBJECT, "缴款凭证.pdf",
                                               base64.b64encode(PDF).decode())
        assert uploaded.get("status") == 201, uploaded
        evidence = uploaded["body"]
        assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest() and evidence["mediaType"] == "application/pdf"
        # 2. and files the objection in GraphiQL, citing it
        document = FILE.replace("mutation File($i: FileObjectionInput!)", "mutation").replace(
            "fileObjection(input: $i)", "fileObjection(input: {recordId: %s, ground: ERROR_OR_OMISSION, statement: "
            "%s, evidenceIds: [%s]})" % (_literal(record_id), _literal("罚款金额应为2000元"), _literal(evidence["id"])))
        filed = _run_in_graphiql(driver, wait, document, subject, '"state"')["data"]["fileObjection"]
        assert filed["errors"] == [], filed
        case = filed["case"]
        assert (case["state"], case["nextParty"]) == ("FILED", "CENTRE")
        assert [(e["id"], e["filename"], e["sha256"]) for e in case["evidence"]] == [
            (evidence["id"], "缴款凭证.pdf", evidence["sha256"])]

        # 3. the centre compares (the copies agree: forwarded) and the provider upholds, correcting the fine
        compared = _graphql(base, operator, """mutation($i: CompareObjectionInput!) { compareObjection(input: $i) {
            case { state evidence { sha256 } } errors { message } } }""",
                            {"i": {"caseId": case["id"], "outcome": "SAME", "note": "平台与报送单位数据一致"}})
        assert compared["compareObjection"]["case"]["state"] == "FORWARDED", compared
        assert compared["compareObjection"]["case"]["evidence"] == [{"sha256": evidence["sha256"]}]
        provider_read = httpx.get(f"{base}{evidence['url']}", headers={"Authorization": f"Bearer {provider}"})
        assert provider_read.status_code == 200 and provider_read.content == PDF
        decided = _graphql(base, provider, """mutation($i: DecideObjectionInput!) { decideObjection(input: $i) {
            case { state } errors { message } } }""", {"i": {
            "caseId": case["id"], "decision": "UPHELD", "reason": "经核查罚款金额有误，已更正",
            "correction": {"content": {"fineAmount": "2000.00"}}}})
        assert decided["decideObjection"]["case"]["state"] == "UPHELD", decided

        # 4. the subject sees the result in GraphiQL, and reads its evidence back unchanged
        document = RESULT.replace("query Result($id: ID!)", "query").replace(
            "node(id: $id)", f"node(id: {_literal(case['id'])})")
        result = _run_in_graphiql(driver, wait, document, subject, '"UPHELD"')["data"]["node"]
        assert (result["state"], result["decisionReason"]) == ("UPHELD", "经核查罚款金额有误，已更正")
        assert result["closedAt"] is not None and result["record"]["fineAmount"] == "2000"
        read_back = driver.execute_async_script(READ_BACK_JS, subject, result["evidence"][0]["url"])
        assert (read_back.get("status"), read_back["type"], read_back["sha256"]) == (
            200, "application/pdf", evidence["sha256"]), read_back
        assert read_back["disposition"].startswith("attachment;")
