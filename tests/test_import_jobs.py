"""Background imports (issue 14): `POST /import` answers 202 with a job at once; the job's progress
and result are read over HTTP and GraphQL, its error report downloaded by its department (and the
credit centre) only; a server killed mid-import resumes the job on restart, counted exactly once.
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from store.bootstrap import initialise
from store.engine import create_engine
from resolvers.node_ids import NodeKind, decode, global_id
from store.models import ImportJob, QueryLogEntry, Record, SubmissionLogEntry
from tests.conftest import PG_HINT, app_for, make_token
from tests.server import running_gateway, served_token
from tests.test_spreadsheets import (ITEM, faulty_batch, fill_template, good_row, scratch_postgres, stored_documents,
                                     write_csv)

ENDED = ("SUCCEEDED", "FAILED")
JOB_QUERY = """query Job($id: ID!) { importJob(id: $id) { id state fileName catalogueItem { code } department { code }
  mode rowsTotal rowsDone stored unchanged rejected notStored problemCount error attempts errorReportUrl } }"""
LIST_QUERY = """query Jobs($first: Int, $after: String) { importJobs(first: $first, after: $after) { totalCount
  edges { cursor node { id state } } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def jobs_db(request, tmp_path_factory):
    if request.param == "postgresql":
        url = await scratch_postgres("import_jobs")
        if url is None:
            pytest.skip(PG_HINT)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('import-jobs') / 'jobs.sqlite3'}"
    engine = create_engine(url)
    await initialise(engine, "huancui")
    yield engine
    await engine.dispose()


@pytest.fixture
async def client(jobs_db, tmp_path):
    app = app_for(jobs_db, import_dir=tmp_path / "imports")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client
    await app.state.gateway.imports.close()


def token(department: str = "SCJG", roles=("officer",), user: str = "clerk.li") -> dict:
    return {"Authorization": f"Bearer {make_token(user=user, department=department, roles=roles)}"}


async def waited(client, job_id: str, headers: dict, timeout: float = 120) -> dict:
    """Poll `GET /import/jobs/{id}` (as the README tells a client to) until the job has ended."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/import/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job = response.json()
        if job["state"] in ENDED:
            return job
        assert time.monotonic() < deadline, f"the job did not end in time: {job}"
        await asyncio.sleep(0.05)


async def gql(client, query: str, variables: dict, headers: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_upload_answers_202_with_a_job_whose_report_only_its_department_reads(jobs_db, client, tmp_path):
    prefix = f"JOB{jobs_db.dialect.name[:2].upper()}"
    rows, faults, good = faulty_batch(prefix, 700)
    path = fill_template(tmp_path / "处罚.xlsx", rows)
    response = await client.post("/import", headers=token(), data={"mode": "BEST_EFFORT"},
                                 files={"file": ("处罚.xlsx", path.read_bytes())})
    assert response.status_code == 202, response.text
    accepted = response.json()
    job_id = accepted["id"]
    assert response.headers["location"] == f"/import/jobs/{job_id}" == accepted["links"]["self"]
    assert accepted["state"] in ("QUEUED", "RUNNING", "SUCCEEDED") and accepted["catalogueItem"] == ITEM.code

    job = await waited(client, job_id, token())
    assert job["state"] == "SUCCEEDED", job
    assert (job["rowsDone"], job["stored"], job["rejected"]) == (len(rows), len(good), len(faults))
    assert job["problemCount"] == sum(len(c) for c in faults.values())
    assert await stored_documents(jobs_db, prefix) == {rows[n - 4]["documentNumber"] for n in good}

    body = await gql(client, JOB_QUERY, {"id": job_id}, token(roles=("submitter",), user="another.clerk"))
    seen = body["data"]["importJob"]
    assert seen["state"] == "SUCCEEDED" and seen["catalogueItem"]["code"] == ITEM.code
    assert seen["department"]["code"] == "SCJG" and seen["mode"] == "BEST_EFFORT" and seen["attempts"] == 1
    assert (seen["stored"], seen["rejected"], seen["rowsTotal"]) == (len(good), len(faults), len(rows))
    link = seen["errorReportUrl"]
    assert link == f"/import/jobs/{job_id}/errors.csv" == job["links"]["errorReport"]

    report = await client.get(link, headers=token())
    assert report.status_code == 200
    assert urllib.parse.quote("处罚.errors.csv") in report.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))[1:]
    assert {(int(r[0]), r[1]) for r in lines} == {(row, column) for row, columns in faults.items() for column in columns}
    centre = await client.get(link, headers=token(department="XYZX", roles=("operator",)))
    assert centre.status_code == 200 and centre.content == report.content

    # another department: the same answer as for a job that does not exist
    other = token(department="FY")
    for url in (f"/import/jobs/{job_id}", link, "/import/jobs/0123456789abcdef0123456789abcdef"):
        refused = await client.get(url, headers=other)
        assert refused.status_code == 404 and refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await client.get(link)).status_code == 401
    assert (await gql(client, JOB_QUERY, {"id": job_id}, other))["data"]["importJob"] is None
    listed = (await gql(client, LIST_QUERY, {"first": 100}, other))["data"]["importJobs"]
    assert job_id not in {e["node"]["id"] for e in listed["edges"]}
    mine = (await gql(client, LIST_QUERY, {"first": 100}, token()))["data"]["importJobs"]
    assert job_id in {e["node"]["id"] for e in mine["edges"]}
    public = await gql(client, LIST_QUERY, {"first": 1}, {})
    assert public["data"] is None or public["data"].get("importJobs") is None
    assert public["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_jobs_are_listed_newest_first_page_by_page_with_progress_counted(jobs_db, client, tmp_path):
    prefix = f"PAGE{jobs_db.dialect.name[:2].upper()}"
    headers = token(department="SCJG")
    ids = []
    for index in range(3):
        path = write_csv(tmp_path / f"b{index}.csv", [good_row(prefix + str(index), 800 + i) for i in range(450)],
                         labels=True)
        response = await client.post("/import", headers=headers, data={"catalogueItem": ITEM.code},
                                     files={"file": (f"b{index}.csv", path.read_bytes())})
        assert response.status_code == 202
        ids.append(response.json()["id"])
    seen_done = []
    for job_id in ids:
        while (job := (await client.get(f"/import/jobs/{job_id}", headers=headers)).json())["state"] not in ENDED:
            seen_done.append(job["rowsDone"])
            await asyncio.sleep(0.02)
        assert (job["state"], job["rowsDone"], job["stored"] + job["unchanged"]) == ("SUCCEEDED", 450, 450), job
    assert all(0 <= done <= 450 for done in seen_done)

    first = (await gql(client, LIST_QUERY, {"first": 2}, headers))["data"]["importJobs"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[::-1][:2] and first["pageInfo"]["hasNextPage"]
    rest = (await gql(client, LIST_QUERY, {"first": 100, "after": first["pageInfo"]["endCursor"]}, headers))
    assert rest["data"]["importJobs"]["edges"][0]["node"]["id"] == ids[0]
    bad = await gql(client, LIST_QUERY, {"first": 101}, headers)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad = await gql(client, LIST_QUERY, {"first": 5, "after": "nonsense"}, headers)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "after" in bad["errors"][0]["message"]

    async with jobs_db.connect() as connection:  # each job's start and end are in the submission log
        entries = (await connection.execute(select(SubmissionLogEntry.action, SubmissionLogEntry.detail).where(
            SubmissionLogEntry.action.in_(("IMPORT_START", "IMPORT_END"))))).all()
    for job_id in ids:
        mine = [(action, detail) for action, detail in entries if detail.get("import_job") == job_id]
        assert [a for a, _ in mine] == ["IMPORT_START", "IMPORT_END"]
        assert mine[1][1]["state"] == "SUCCEEDED" and mine[1][1]["rows_done"] == 450


async def test_a_file_refused_before_anything_is_stored_is_answered_at_once(jobs_db, client, tmp_path):
    content = write_csv(tmp_path / "a.csv", [good_row("REFUSED", 1)], labels=True).read_bytes()
    response = await client.post("/import", headers=token(), data={"item": ITEM.code},
                                 files={"file": ("../../我的处罚.csv", b"no,such,columns\n1,2,3\n")})
    assert response.status_code == 422 and "我的处罚.csv" in response.json()["errors"][0]["message"]
    response = await client.post("/import", headers=token(department="FY"), data={"item": ITEM.code},
                                 files={"file": ("a.csv", content)})
    assert response.status_code == 403
    async with jobs_db.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(ImportJob).where(
            ImportJob.file_name == "我的处罚.csv"))).scalar() == 0


NODE_QUERY = """query ImportNode($ids: [ID!]!) {
  nodes(ids: $ids) { __typename id ... on ImportJob { state fileName } } }"""


async def test_an_import_job_is_a_node_read_under_the_rule_of_import_job(jobs_db, client, tmp_path):
    """`node(id)`/`nodes(ids)` answer a job exactly as `importJob(id)` does: its department and the credit centre's
    operators read it; anyone else gets null, as for an id that names nothing, and the query log records the refusal."""
    ids = []
    for index in range(2):  # two of SCJG's jobs
        path = write_csv(tmp_path / f"n{index}.csv", [good_row(f"NODE{jobs_db.dialect.name[:2].upper()}{index}", 1)],
                         labels=True)
        response = await client.post("/import", headers=token(), data={"catalogueItem": ITEM.code},
                                     files={"file": (f"n{index}.csv", path.read_bytes())})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
        await waited(client, ids[-1], token())
    unknown = "0123456789abcdef0123456789abcdef"
    for headers in (token(), token(department="XYZX", roles=("operator",))):
        body = await gql(client, NODE_QUERY, {"ids": [*ids, unknown]}, headers)
        assert "errors" not in body, body
        assert body["data"]["nodes"] == [{"__typename": "ImportJob", "id": job_id, "state": "SUCCEEDED",
                                          "fileName": f"n{index}.csv"} for index, job_id in enumerate(ids)] + [None]
        single = await gql(client, "query($id: ID!) { node(id: $id) { id } importJob(id: $id) { id } }",
                           {"id": ids[0]}, headers)
        assert single["data"] == {"node": {"id": ids[0]}, "importJob": {"id": ids[0]}}, single
    for headers in (token(department="FY"), {}):  # another department, the public: as if it did not exist
        body = await gql(client, NODE_QUERY, {"ids": [*ids, unknown]}, headers)
        assert body == {"data": {"nodes": [None, None, None]}}, body
        assert (await gql(client, JOB_QUERY, {"id": ids[0]}, headers)).get("data", {}).get("importJob") is None
    async with jobs_db.connect() as connection:
        public, other = (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.operation_name == "ImportNode").order_by(QueryLogEntry.seq.desc()).limit(2))).all()
    # another department's jobs are refusals, the unknown id is not; the public may read no job at all
    assert other.outcome == public.outcome == "REFUSED"
    assert [r["path"] for r in other.refused] == ["nodes/0", "nodes/1"]
    assert [r["path"] for r in public.refused] == ["nodes/0", "nodes/1", "nodes/2"]
    assert {r["rule"] for r in other.refused + public.refused} == {"field:Query.importJob"}


def test_an_import_job_id_is_recognised_as_one_and_never_taken_for_an_encoded_id():
    job_id = "0123456789abcdef0123456789abcdef"
    assert decode(job_id) == (NodeKind.IMPORT_JOB, job_id)
    for kind in NodeKind:
        if kind not in (NodeKind.SUBJECT, NodeKind.IMPORT_JOB):  # an encoded id starts with a capital letter
            assert decode(global_id(kind, "0123456789abcdef")) == (kind, "0123456789abcdef")
    with pytest.raises(ValueError):
        decode(job_id.upper())


# ------------------------------------------------------------------ a server killed mid-import

ROWS = 20_000


def write_large_csv(path: Path) -> None:
    write_csv(path, [good_row("RESUME", 10_000 + serial) for serial in range(ROWS)], labels=True)


async def _database_state(url: str) -> tuple[dict, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            job = (await connection.execute(select(ImportJob.__table__))).one()._asdict()
            records = (await connection.execute(select(func.count()).select_from(Record).where(
                Record.document_number.like("RESUME%")))).scalar()
    finally:
        await engine.dispose()
    return job, records


def _kill_mid_import_and_restart(tmp_path: Path, env: dict[str, str], url: str) -> None:
    data = tmp_path / "data"
    source = tmp_path / "large.csv"
    write_large_csv(source)
    env = {"LOAD_DEMO_ON_EMPTY": "false", **env}
    processes: list[subprocess.Popen] = []
    with running_gateway(data, env=env, processes=processes) as base:
        headers = {"Authorization": f"Bearer {served_token(data, user='clerk', department='SCJG', roles=('officer',))}"}
        response = httpx.post(f"{base}/import", headers=headers, data={"catalogueItem": ITEM.code},
                              files={"file": ("large.csv", source.read_bytes())}, timeout=60)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = time.monotonic() + 120
        while (job := httpx.get(f"{base}/import/jobs/{job_id}", headers=headers).json())["rowsDone"] < 1_000:
            assert job["state"] == "RUNNING" or job["state"] == "QUEUED", job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
        processes[0].send_signal(signal.SIGKILL)  # with its server: no chance to hand the job back
        processes[0].wait(timeout=30)
    killed, stored_then = asyncio.run(_database_state(url))
    assert killed["state"] == "RUNNING" and 0 < stored_then < ROWS, (killed, stored_then)

    with running_gateway(data, env=env) as base:  # the next start finds the job orphaned and resumes it
        deadline = time.monotonic() + 300
        while (job := httpx.get(f"{base}/import/jobs/{job_id}", headers=headers).json())["state"] not in ENDED:
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
    assert job["state"] == "SUCCEEDED", job
    # every row once: the rows stored before the kill count as stored by this job, not as unchanged
    assert (job["rowsDone"], job["stored"], job["unchanged"], job["rejected"]) == (ROWS, ROWS, 0, 0), job
    assert job["attempts"] == 2
    final, records = asyncio.run(_database_state(url))
    assert records == ROWS and final["owner"] is None


@pytest.mark.e2e
def test_a_job_killed_with_its_server_resumes_on_restart_counted_once_sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'credit-gateway.sqlite3'}"
    _kill_mid_import_and_restart(tmp_path, {}, url)


@pytest.mark.e2e
@pytest.mark.postgres
def test_a_job_killed_with_its_server_resumes_on_restart_counted_once_postgres(tmp_path):
    url = asyncio.run(scratch_postgres("import_resume"))
    if url is None:
        pytest.skip(PG_HINT + " (this test uses its own scratch database beside it)")
    _kill_mid_import_and_restart(tmp_path, {"DATABASE_URL": url}, url)
