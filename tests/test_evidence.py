"""Objections' evidence files through HTTP (issue 16; HC-29, XZ-22): `POST /evidence`, citing them in
`fileObjection(input: {evidenceIds})`, `Case.evidence` and `GET /evidence/{id}`.

Subjects are this module's own (organisations of series EB), records its own serials.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import httpx
from sqlalchemy import select

from store.models import EvidenceFile, QueryLogEntry, SubmissionLogEntry
from tests import world
from tests.conftest import app_for, graphql, make_token
from tests.test_cases import AUDITOR, OPERATOR, SCJG, ZJJ, count, payload, penalty, submit, writes

DAY = dt.date(2026, 11, 2)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FILE = """mutation($i: FileObjectionInput!) { fileObjection(input: $i) {
  case { id number evidence { id filename mediaType size sha256 uploadedAt url } } errors { code field message } } }"""
CASE = "query($id: ID!) { node(id: $id) { ... on Case { evidence { id filename sha256 } } } }"


def org(serial: int) -> str:
    return world.org_code(serial, series="EB")


def subject_token(serial: int) -> str:
    return make_token(user=f"ev-org{serial}", subject=org(serial))


def client_for(engine, tmp_path, **settings) -> httpx.AsyncClient:
    app = app_for(engine, today=DAY, evidence_dir=tmp_path / "evidence", **settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def upload(client, token, content: bytes = PDF, name: str = "证明.pdf", *, subject: str | None = None,
                 media_type: str = "application/pdf", headers: dict | None = None) -> httpx.Response:
    data = {"subject": subject} if subject else {}
    return await client.post("/evidence", files={"file": (name, content, media_type)}, data=data,
                             headers={**bearer(token), **(headers or {})})


async def test_a_subject_uploads_a_file_kept_under_its_hash_and_logged(engine, tmp_path):
    async with client_for(engine, tmp_path) as client:
        logged = await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "EVIDENCE_UPLOADED")
        response = await upload(client, subject_token(1))
        assert response.status_code == 201, response.text
        answer = response.json()
        digest = hashlib.sha256(PDF).hexdigest()
        assert (answer["sha256"], answer["size"], answer["mediaType"], answer["filename"]) == (
            digest, len(PDF), "application/pdf", "证明.pdf")
        assert answer["url"] == f"/evidence/{answer['id']}" == response.headers["location"]
        assert (tmp_path / "evidence" / digest[:2] / digest).read_bytes() == PDF
        assert not list((tmp_path / "evidence" / "incoming").iterdir())  # nothing half-written left behind
        assert await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "EVIDENCE_UPLOADED") == logged + 1
        # the raw body with ?filename= is the same upload; the same bytes are kept once
        raw = await client.post("/evidence", params={"filename": "scan.png"}, content=PNG,
                                headers={**bearer(subject_token(1)), "Content-Type": "image/png"})
        assert raw.status_code == 201, raw.text
        assert raw.json()["mediaType"] == "image/png"
        again = await upload(client, subject_token(1), name="again.pdf")
        assert again.json()["id"] != answer["id"] and again.json()["sha256"] == digest
        # an OFD document is a ZIP package with OFD.xml at its root
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("OFD.xml", "<ofd:OFD/>")
        ofd = await upload(client, subject_token(1), package.getvalue(), "决定书.ofd", media_type="application/ofd")
        assert ofd.status_code == 201 and ofd.json()["mediaType"] == "application/ofd", ofd.text


async def test_uploads_refused_by_token_size_and_content_store_nothing(engine, tmp_path):
    async with client_for(engine, tmp_path, max_evidence_bytes=1024) as client:
        before = (await count(engine, EvidenceFile), await writes(engine))
        cases = [
            (None, {}, 401, "UNAUTHENTICATED"),
            (subject_token(2), {"content": b"hello, not a document", "name": "note.pdf"}, 415,
             "UNSUPPORTED_MEDIA_TYPE"),
            (subject_token(2), {"content": PDF, "name": "x.png", "media_type": "image/png"}, 415,
             "UNSUPPORTED_MEDIA_TYPE"),  # the declared type contradicts the content
            (subject_token(2), {"content": PDF + b"\0" * 2000}, 413, "PAYLOAD_TOO_LARGE"),
            (subject_token(2), {"content": b""}, 400, "BAD_UPLOAD"),
            (subject_token(2), {"subject": org(3)}, 403, "FORBIDDEN"),  # a subject uploads for itself only
            (SCJG, {}, 400, "BAD_UPLOAD"),  # no subject named
            (SCJG, {"subject": org(2)}, 403, "FORBIDDEN"),  # not its grantee
            (AUDITOR, {"subject": org(2)}, 403, "FORBIDDEN"),
        ]
        for token, options, status, code in cases:
            response = await upload(client, token, **options)
            assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (status, code), \
                (options, response.text)
        raw = await client.post("/evidence", content=PDF, headers=bearer(subject_token(2)))
        assert raw.status_code == 400 and "filename" in raw.json()["errors"][0]["message"]
        assert (await count(engine, EvidenceFile), await writes(engine)) == before
        assert not list((tmp_path / "evidence" / "incoming").iterdir())
        # the centre's operator enters a written application's evidence for the subject it names
        entered = await upload(client, OPERATOR, subject=org(2))
        assert entered.status_code == 201, entered.text


async def test_an_objection_cites_its_filers_uploads_and_the_parties_read_them(engine, tmp_path):
    serial = 10
    async with client_for(engine, tmp_path) as client:
        record_id = await submit(client, penalty(org(serial), 8800 + serial, "2026-10-21"), SCJG)
        other_record = await submit(client, penalty(org(serial), 8850 + serial, "2026-10-21"), SCJG)
        mine = (await upload(client, subject_token(serial))).json()
        png = (await client.post("/evidence", params={"filename": "照片.png"}, content=PNG,
                                 headers=bearer(subject_token(serial)))).json()
        foreign = (await upload(client, subject_token(serial + 1))).json()  # another subject's upload
        before = await writes(engine)
        refused = payload(await graphql(client, FILE, {"i": {
            "recordId": record_id, "ground": "ERROR_OR_OMISSION", "statement": "罚款金额记载错误",
            "evidenceIds": [mine["id"], foreign["id"], "nonsense"]}}, token=subject_token(serial)), "fileObjection")
        assert refused["case"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ("evidenceIds[2]", "INVALID"), ("evidenceIds[1]", "NOT_FOUND")], refused
        assert await writes(engine) == before
        done = payload(await graphql(client, FILE, {"i": {
            "recordId": record_id, "ground": "ERROR_OR_OMISSION", "statement": "罚款金额记载错误",
            "evidenceIds": [mine["id"], png["id"]]}}, token=subject_token(serial)), "fileObjection")
        assert done["errors"] == []
        listed = done["case"]["evidence"]
        assert [(e["id"], e["mediaType"], e["sha256"], e["url"]) for e in listed] == [
            (mine["id"], "application/pdf", mine["sha256"], mine["url"]),
            (png["id"], "image/png", png["sha256"], png["url"])]
        assert listed[0]["filename"] == "证明.pdf" and listed[0]["size"] == len(PDF)
        assert await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "EVIDENCE_CITED",
                           SubmissionLogEntry.detail["case_id"].as_integer() == done["case"]["number"]) == 1
        # a file cited once is not cited again
        again = payload(await graphql(client, FILE, {"i": {
            "recordId": other_record, "ground": "PAST_ITS_PERIOD", "statement": "已过期限",
            "evidenceIds": [mine["id"]]}}, token=subject_token(serial)), "fileObjection")
        assert [(e["field"], e["code"]) for e in again["errors"]] == [("evidenceIds[0]", "DUPLICATE")]

        # the parties to the case and auditors read the bytes; anyone else learns nothing
        for token in (subject_token(serial), OPERATOR, SCJG, AUDITOR):
            response = await client.get(mine["url"], headers=bearer(token))
            assert response.status_code == 200, response.text
            assert response.content == PDF and response.headers["content-type"] == "application/pdf"
            assert response.headers["content-disposition"].startswith("attachment;")
            assert response.headers["etag"] == f'"{mine["sha256"]}"'
        unknown = await client.get("/evidence/RXZpZGVuY2VGaWxlOjk5OTk5OTk", headers=bearer(SCJG))
        for token in (ZJJ, subject_token(serial + 1)):
            response = await client.get(mine["url"], headers=bearer(token))
            assert (response.status_code, response.json()) == (404, unknown.json())
        assert (await client.get(mine["url"])).status_code == 401
        # an upload no objection cites is its uploader's (and auditors') only
        assert (await client.get(foreign["url"], headers=bearer(OPERATOR))).status_code == 404
        assert (await client.get(foreign["url"], headers=bearer(subject_token(serial + 1)))).status_code == 200
        async with engine.connect() as connection:
            reads = (await connection.execute(select(QueryLogEntry.user, QueryLogEntry.outcome).where(
                QueryLogEntry.operation_name == "GET /evidence", QueryLogEntry.user.in_(("cs-scjg", "cs-zjj")),
                QueryLogEntry.variables["id"].as_string() == mine["id"]))).all()
        assert ("cs-scjg", "OK") in reads and ("cs-zjj", "REFUSED") in reads, reads

        # Case.evidence: those who read the case see the files; node(id) refetches one
        seen = await graphql(client, CASE, {"id": done["case"]["id"]}, token=SCJG)
        assert [e["id"] for e in seen["data"]["node"]["evidence"]] == [mine["id"], png["id"]]
        node = await graphql(client, "query($id: ID!) { node(id: $id) { ... on EvidenceFile { sha256 } } }",
                             {"id": png["id"]}, token=ZJJ)
        assert node["data"]["node"] is None


async def test_a_grantee_uploads_under_its_authorisation_and_cites_its_own_upload(engine, tmp_path):
    from tests.test_access_matrix import GRANT, _window

    serial, agent = 20, make_token(user="eb-agent")
    basis = {"X-Query-Purpose": "licensing", "X-Query-Basis": "SQ-EB-20"}
    async with client_for(engine, tmp_path) as client:
        record_id = await submit(client, penalty(org(serial), 8800 + serial, "2026-10-21"), SCJG)
        start, end = _window()
        granted = await graphql(client, GRANT, {"grantee": {"user": "eb-agent"}, "scope": {
            "catalogueItems": ["HC-13-6-PENALTY"]}, "purpose": "LICENSING", "from": start, "until": end,
            "ref": "SQ-EB-20"}, token=subject_token(serial))
        assert granted["data"]["grantAuthorization"]["errors"] == [], granted
        refused = await upload(client, agent, subject=org(serial))  # the authorisation not declared
        assert refused.status_code == 403, refused.text
        assert (await upload(client, agent, subject=org(serial + 1), headers=basis)).status_code == 403
        uploaded = await upload(client, agent, subject=org(serial), headers=basis)
        assert uploaded.status_code == 201, uploaded.text
        evidence = uploaded.json()
        subjects_own = (await upload(client, subject_token(serial))).json()
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                  "statement": "代为提出异议",
                                                  "evidenceIds": [subjects_own["id"]]}},
                             token=agent, purpose="licensing", basis="SQ-EB-20")
        assert [(e["field"], e["code"]) for e in payload(body, "fileObjection")["errors"]] == [
            ("evidenceIds[0]", "NOT_FOUND")]  # the subject's own upload is not the grantee's to cite
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                  "statement": "代为提出异议", "evidenceIds": [evidence["id"]]}},
                             token=agent, purpose="licensing", basis="SQ-EB-20")
        filed = payload(body, "fileObjection")
        assert filed["errors"] == [] and [e["id"] for e in filed["case"]["evidence"]] == [evidence["id"]]
        for token in (agent, subject_token(serial), SCJG):
            assert (await client.get(evidence["url"], headers=bearer(token))).content == PDF
