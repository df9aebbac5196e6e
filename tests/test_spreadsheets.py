"""Spreadsheet templates and batch import (SPEC 3.3, issue 5): what a department's clerk sees.

Every import here runs the real pipeline (`resolvers.collection.submit`) against its own
database: a SQLite file, and a scratch PostgreSQL database beside TEST_DATABASE_URL when it is
set (never the shared test database itself, which other tests read).
"""

from __future__ import annotations

import asyncio
import csv
import functools
import os
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain.catalogue import load_profile
from domain.identifiers import resident_id_check_char
from ingest.spreadsheet_import import import_file
from ingest.spreadsheets import HEADER_ROWS, SpreadsheetError, file_item_code, layout, read_rows, write_template
from gateway.upload import upload_route
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Record
from tests import world
from tests.conftest import PG_HINT, app_for, make_token
from tests.conftest import test_settings as settings_for_tests

PROFILE = load_profile("huancui")
ITEM = PROFILE.item("HC-13-6-PENALTY")  # BAD, organisations and persons, an enum and a decimal
DEPARTMENT = "SCJG"
AUTHORITY = "环翠区市场监督管理局"


org_code = functools.partial(world.org_code, series="MD")


def person_code(serial: int) -> str:
    body = f"371003199{serial % 10}0315{serial % 1000:03d}"
    return body + resident_id_check_char(body)


def good_row(prefix: str, serial: int) -> dict:
    return {"subjectCode": org_code(serial), "subjectName": f"威海市导入测试{serial:04d}有限公司",
            "documentNumber": f"{prefix}〔2025〕{serial}号", "issuingAuthority": AUTHORITY,
            "decidedOn": "2025-06-01", "violation": "未按规定公示年度报告",
            "legalBasis": "《企业信息公示暂行条例》第十八条", "penaltyKind": "罚款", "fineAmount": "1.5"}


async def scratch_postgres(suffix: str) -> str | None:
    """A fresh database named after TEST_DATABASE_URL's plus `suffix`, or None without it."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return None
    from tests.conftest import scratch_postgres_url

    return await scratch_postgres_url(suffix)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def db(request, tmp_path_factory):
    if request.param == "postgresql":
        url = await scratch_postgres("import")
        if url is None:
            pytest.skip(PG_HINT)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('import') / 'import.sqlite3'}"
    engine = create_engine(url)
    await initialise(engine, "huancui")
    yield engine
    await engine.dispose()


def fill_template(path: Path, rows: list[dict], *, extra: dict[str, list] | None = None) -> Path:
    """The template for ITEM with `rows` typed in, by column key, and extra columns appended."""
    write_template(ITEM, path)
    workbook = load_workbook(path)
    sheet = workbook["数据"]
    keys = [c.value for c in sheet[3]]
    width = len(layout(ITEM))
    for offset, header in enumerate(extra or {}):
        sheet.cell(1, width + 2 + offset, header)  # after the item marker of the machine row
    for index, row in enumerate(rows):
        target = HEADER_ROWS + 1 + index
        for key, value in row.items():
            if key in keys:
                sheet.cell(target, keys.index(key) + 1, value)
        for offset, values in enumerate((extra or {}).values()):
            sheet.cell(target, width + 2 + offset, values[index])
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[dict], *, labels: bool) -> Path:
    columns = layout(ITEM)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.label if labels else c.key for c in columns])
        for row in rows:
            writer.writerow([row.get(c.key, "") for c in columns])
    return path


async def stored_documents(engine, prefix: str) -> set[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(Record.document_number).where(
            Record.document_number.like(f"{prefix}%")))
        return {r[0] for r in rows}


def report_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [{"row": int(r[0]), "column": r[1], "field": r[2], "reason": r[3]} for r in reader]


# ---------------------------------------------------------------------------------------- template


def test_template_has_chinese_headers_descriptions_keys_and_list_validation(tmp_path):
    path = write_template(ITEM, tmp_path / "penalty.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["数据"]
    headers = [c.value for c in sheet[1] if c.value]
    assert headers[:5] == ["主体代码", "主体名称", "文书号", "决定机关", "决定日期"]
    assert "行为终止日期" in headers  # a BAD item
    assert {"违法行为", "处罚依据", "处罚类别", "罚款金额(万元)"} <= set(headers)
    descriptions = {sheet.cell(1, i).value: sheet.cell(2, i).value for i in range(1, len(headers) + 1)}
    assert "YYYY-MM-DD" in descriptions["决定日期"] and "必填" in descriptions["决定日期"]
    assert "可选值" in descriptions["处罚类别"] and "罚款" in descriptions["处罚类别"]
    assert "选填" in descriptions["罚款金额(万元)"]
    assert sheet.row_dimensions[3].hidden
    assert sheet.cell(3, 1).value == "subjectCode" and sheet.cell(3, 9).value == "violation"
    assert file_item_code(path) == ITEM.code
    by_type = {}
    for rule in sheet.data_validations.dataValidation:
        by_type.setdefault(rule.type, []).append(rule)
    kind_column = headers.index("处罚类别") + 1
    lists = [r for r in by_type["list"] if f"{chr(64 + kind_column)}{HEADER_ROWS + 1}" in str(r.sqref)]
    assert lists and "罚款" in lists[0].formula1 and "警告" in lists[0].formula1
    assert "date" in by_type and "decimal" in by_type


def test_template_disambiguates_a_licence_s_own_validity_columns(tmp_path):
    licence = PROFILE.item("HC-10-2-LICENCE")
    labels = [c.label for c in layout(licence)]
    assert len(set(labels)) == len(labels)
    assert "记录有效期自" in labels and "有效期自" in labels
    keys = {c.label: c.key for c in layout(licence)}
    assert keys["有效期自"] == "content.validFrom" and keys["记录有效期自"] == "validFrom"
    assert "行为终止日期" not in labels  # not a BAD item


def test_reader_refuses_a_file_without_required_columns_or_of_another_item(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("主体代码,主体名称\n91371002MD00000011,x\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="文书号"):
        list(read_rows(path, ITEM))
    other = write_template(PROFILE.item("HC-10-2-LICENCE"), tmp_path / "licence.xlsx")
    with pytest.raises(SpreadsheetError, match="HC-10-2-LICENCE"):
        list(read_rows(other, ITEM))


def test_reader_streams_gb18030_csv_and_skips_description_rows(tmp_path):
    rows = [good_row("GB", 1)]
    utf8 = write_csv(tmp_path / "utf8.csv", rows, labels=True)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8-sig").encode("gb18030"))
    [(number, values, problems)] = list(read_rows(gbk, ITEM))
    assert number == 2 and values["subjectName"] == rows[0]["subjectName"] and not problems
    template = fill_template(tmp_path / "t.xlsx", rows)
    [(number, values, problems)] = list(read_rows(template, ITEM))
    assert number == HEADER_ROWS + 1 and values["penaltyKind"] == "罚款"


def test_reader_reports_a_value_in_a_column_without_header(tmp_path):
    path = write_csv(tmp_path / "stray.csv", [good_row("STRAY", 1)], labels=False)
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("\n\n" + ",".join(str(good_row("STRAY", 2).get(c.key, "")) for c in layout(ITEM)) + ",多余\n")
    first, second = read_rows(path, ITEM)
    assert (first.number, first.problems) == (2, [])
    assert second.number == 5  # blank lines are counted, as a spreadsheet program shows them
    [(label, key, problem)] = second.problems
    assert label == f"第{len(layout(ITEM)) + 1}列" and "no header" in problem.reason


# ------------------------------------------------------------------------------------------ import


def faulty_batch(prefix: str, base: int) -> tuple[list[dict], dict[int, set[str]], list[int]]:
    """Good rows and one row per kind of fault; (rows, expected faulty columns by row, good rows).

    Subjects are numbered from `base`, so that no other test has created them already."""
    bad_check = org_code(base)[:-1] + ("0" if org_code(base)[-1] != "0" else "1")
    rows, faults = [], {}

    def add(serial: int, columns: set[str] | None = None, **changes):
        row = {**good_row(prefix, base + serial), **changes}
        rows.append(row)
        if columns:
            faults[HEADER_ROWS + len(rows)] = columns

    add(1)
    add(2, subjectCode=person_code(2))  # a natural person is a valid subject of this item
    add(3, {"主体代码"}, subjectCode=bad_check)
    add(4, {"文书号"}, documentNumber=None)
    add(5, {"决定日期"}, decidedOn="2025-02-30")
    add(6, {"决定日期"}, decidedOn="2099-01-01")
    add(7, {"行为终止日期"}, actEndedOn="2099-01-01")  # an act cannot have ended after today
    add(8, {"处罚类别"}, penaltyKind="坐牢")
    add(9, {"罚款金额(万元)"}, fineAmount="一万元")
    add(10, {"违法行为"}, violation=None)
    add(11, {"处罚依据"}, legalBasis="长" * 2001)
    add(12, {"主体名称"}, subjectName=None)
    add(13, {"主体代码"}, subjectCode=float(person_code(13)[:17] + "0"))  # what Excel makes of it
    add(14, {"罚款金额(万元)", "处罚类别", "决定日期"}, fineAmount="x", penaltyKind="?", decidedOn="昨天")
    add(15)
    rows.append({**good_row(prefix, base + 15), "fineAmount": "2"})  # same document, other content
    faults[HEADER_ROWS + len(rows)] = {"文书号"}
    add(16)
    good = [n for n in range(HEADER_ROWS + 1, HEADER_ROWS + 1 + len(rows)) if n not in faults]
    return rows, faults, good


@pytest.mark.parametrize("parallel", [False, True], ids=["checked-here", "checked-in-child"])
@pytest.mark.parametrize("all_or_nothing", [False, True], ids=["best-effort", "all-or-nothing"])
async def test_every_fault_is_reported_with_row_and_column(db, tmp_path, all_or_nothing, parallel):
    """The same rows, reports and acknowledgements whether the rows are checked in this process or
    in the child process a large file gets (`ingest.import_checker`)."""
    prefix = ("AON" if all_or_nothing else "BE") + ("C" if parallel else "")
    prefix += db.dialect.name[:2].upper()
    rows, faults, good = faulty_batch(prefix, (200 if all_or_nothing else 100) + (600 if parallel else 0))
    path = fill_template(tmp_path / f"{prefix}.xlsx", rows)
    acks = []
    report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk",
                               all_or_nothing=all_or_nothing, chunk_size=5, on_chunk=acks.append, parallel=parallel)
    assert report.report_path == tmp_path / f"{prefix}.errors.csv"
    reported: dict[int, set[str]] = {}
    for entry in report_rows(report.report_path):
        assert entry["reason"]
        reported.setdefault(entry["row"], set()).add(entry["column"])
    assert {row: columns for row, columns in reported.items()} == faults, reported
    assert report.rows == len(rows) and report.rejected == len(faults)
    assert report.problem_count == sum(len(c) for c in faults.values())
    documents = {rows[n - HEADER_ROWS - 1]["documentNumber"] for n in good}
    if all_or_nothing:
        assert await stored_documents(db, prefix) == set()
        assert report.stored == 0 and report.not_stored == len(good) and acks == []
    else:
        assert await stored_documents(db, prefix) == documents
        assert report.stored == len(good)
        acked = {row for ack in acks for row, status, _ in ack.outcomes if status == "STORED"}
        assert acked == set(good)


@pytest.mark.parametrize("parallel", [False, True], ids=["checked-here", "checked-in-child"])
async def test_an_unreadable_file_is_refused_with_its_fault_and_no_report(db, tmp_path, parallel):
    path = tmp_path / "short.csv"
    path.write_text("主体代码,主体名称\n91371002MD00000011,x\n", encoding="utf-8")
    with pytest.raises(SpreadsheetError, match="required column.*文书号"):
        await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk", item=ITEM.code,
                          parallel=parallel)
    assert not (tmp_path / "short.errors.csv").exists()


async def test_where_chunks_end_changes_no_outcome(db, tmp_path):
    """A new subject named on its first row only: its later rows are stored whether they fall in
    the same chunk or a later one; a subject named nowhere is refused either way."""
    prefix = f"EDGE{db.dialect.name[:2].upper()}"
    outcomes = {}
    for size in (1, 2, 5):
        base = 600 + 10 * size  # subjects of its own: each import creates them anew
        named, nameless = good_row(prefix, base + 1), good_row(prefix, base + 5)
        rows = [named, {**good_row(prefix, base + 2), "subjectCode": named["subjectCode"], "subjectName": None},
                good_row(prefix, base + 3),
                {**good_row(prefix, base + 4), "subjectCode": named["subjectCode"], "subjectName": None},
                {**nameless, "subjectName": None}]
        path = write_csv(tmp_path / f"edge{size}.csv", rows, labels=True)
        report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk", item=ITEM.code,
                                   chunk_size=size, keep_outcomes=len(rows))
        outcomes[size] = [o["status"] for o in report.outcomes]
    assert outcomes[1] == outcomes[2] == outcomes[5] == ["STORED"] * 4 + ["REJECTED"]


async def test_all_or_nothing_stores_a_clean_file_in_one_go(db, tmp_path):
    prefix = f"CLEAN{db.dialect.name[:2].upper()}"
    rows = [good_row(prefix, i) for i in range(401, 413)]
    path = write_csv(tmp_path / "clean.csv", rows, labels=True)
    acks = []
    report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk", item=ITEM.code,
                               all_or_nothing=True, chunk_size=5, on_chunk=acks.append)
    assert report.stored == 12 and report.problem_count == 0
    assert await stored_documents(db, prefix) == {r["documentNumber"] for r in rows}
    assert sum(len(a.stored_ids) for a in acks) == 12 and len(acks) == 3
    assert report_rows(report.report_path) == []
    async with db.connect() as connection:
        ids = {i for a in acks for i in a.stored_ids}
        rows = (await connection.execute(select(Record.version, Record.channel).where(Record.id.in_(ids)))).all()
    assert sorted(rows) == [(1, "BATCH")] * 12


async def test_prohibited_information_is_refused(db, tmp_path):
    prefix = f"RELIG{db.dialect.name[:2].upper()}"
    rows = [good_row(prefix, i) for i in (501, 502, 503)]
    path = fill_template(tmp_path / "religion.xlsx", rows,
                         extra={"宗教信仰": ["佛教", None, "基督教"], "血型": [None, None, "A"]})
    report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk")
    errors = report_rows(report.report_path)
    by_row = {}
    for e in errors:
        by_row.setdefault(e["row"], {})[e["column"]] = e["reason"]
    assert set(by_row) == {4, 6}
    assert "prohibited" in by_row[4]["宗教信仰"] and "宗教信仰" in by_row[4]["宗教信仰"]
    assert set(by_row[6]) == {"宗教信仰", "血型"} and "血型" in by_row[6]["血型"]
    assert await stored_documents(db, prefix) == {rows[1]["documentNumber"]}


@pytest.mark.parametrize("labels", [True, False], ids=["chinese-headers", "field-name-headers"])
async def test_csv_with_either_header_imports(db, tmp_path, labels):
    prefix = f"CSV{int(labels)}{db.dialect.name[:2].upper()}"
    rows = [good_row(prefix, i) for i in range(601, 605)]
    rows[1]["subjectCode"] = person_code(7)
    rows[2]["fineAmount"] = ""
    path = write_csv(tmp_path / "batch.csv", rows, labels=labels)
    report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk", item=ITEM.code)
    assert (report.stored, report.rejected, report.problem_count) == (4, 0, 0), report.errors
    assert await stored_documents(db, prefix) == {r["documentNumber"] for r in rows}
    again = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user="clerk", item=ITEM.code)
    assert (again.stored, again.unchanged) == (0, 4)  # a resent file changes nothing


# ------------------------------------------------------------------------------------------ upload


@pytest.fixture
async def upload_client(db, tmp_path):
    settings = settings_for_tests()
    app = app_for(db, import_dir=tmp_path / "imports")
    assert any(getattr(r, "path", None) == "/import" for r in app.routes)  # the app serves it, as deployed
    small = app_for(db, import_dir=tmp_path / "imports")
    small.router.routes.insert(0, upload_route(settings, max_bytes=2_000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://gateway") as limited:
        yield client, limited
    await app.state.gateway.imports.close()


async def imported(client, response: httpx.Response, headers: dict) -> dict:
    """The job `POST /import` accepted (202), once it has ended (polled as a client would)."""
    assert response.status_code == 202, response.text
    link = response.headers["location"]
    for _ in range(2_400):
        job = (await client.get(link, headers=headers)).json()
        if job["state"] in ("SUCCEEDED", "FAILED"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import job did not end: {job}")


def officer(department: str = DEPARTMENT, roles=("officer",)) -> dict:
    return {"Authorization": f"Bearer {make_token(user='clerk.li', department=department, roles=roles)}"}


async def test_upload_imports_and_answers_row_level_errors(db, tmp_path, upload_client):
    client, _ = upload_client
    prefix = f"HTTP{db.dialect.name[:2].upper()}"
    rows, faults, good = faulty_batch(prefix, 300)
    path = fill_template(tmp_path / "upload.xlsx", rows)
    response = await client.post("/import", headers=officer(), data={"mode": "BEST_EFFORT"},
                                 files={"file": ("处罚.xlsx", path.read_bytes())})
    body = await imported(client, response, officer())
    assert body["catalogueItem"] == ITEM.code and body["stored"] == len(good)
    assert body["rejected"] == len(faults) and body["state"] == "SUCCEEDED"
    report = await client.get(body["links"]["errorReport"], headers=officer())
    reported = list(csv.reader(report.content.decode("utf-8-sig").splitlines()))[1:]
    assert {(int(r[0]), r[1]) for r in reported} == {
        (row, column) for row, columns in faults.items() for column in columns}
    assert await stored_documents(db, prefix) == {rows[n - HEADER_ROWS - 1]["documentNumber"] for n in good}

    csv_path = write_csv(tmp_path / "upload.csv", [good_row(prefix + "C", 1)], labels=True)
    response = await client.post("/import", headers=officer(roles=("submitter",)),
                                 data={"mode": "ALL_OR_NOTHING", "catalogueItem": ITEM.code},
                                 files={"file": ("batch.csv", csv_path.read_bytes(), "text/csv")})
    assert (await imported(client, response, officer()))["stored"] == 1


async def test_upload_is_size_limited_without_reading_it_all(db, upload_client):
    _, limited = upload_client
    big = b"x" * 10_000
    response = await limited.post("/import", headers=officer(), data={"catalogueItem": ITEM.code},
                                  files={"file": ("big.csv", big)})
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    sent = []

    async def endless():  # chunked, no Content-Length: the limit must stop it while streaming
        for _ in range(10_000):
            sent.append(1)
            yield b"y" * 1_000

    response = await limited.post("/import", headers={**officer(), "Content-Type": "multipart/form-data; boundary=b"},
                                  content=endless())
    assert response.status_code == 413
    assert "2,000 bytes" in response.json()["errors"][0]["message"]
    assert len(sent) < 100  # it stopped reading at the limit


async def test_upload_refuses_bad_tokens_and_callers_who_do_not_submit(db, tmp_path, upload_client):
    client, _ = upload_client
    path = write_csv(tmp_path / "x.csv", [good_row("TOKEN", 1)], labels=True)
    files = {"file": ("x.csv", path.read_bytes())}
    data = {"catalogueItem": ITEM.code}
    for headers, status in [({}, 401), ({"Authorization": "Bearer not.a.jwt"}, 401),
                            ({"Authorization": "Bearer " + make_token(user="u", department=DEPARTMENT,
                                                                       roles=["officer"], expires_in=1)[:-4] + "AAAA"},
                             401),
                            (officer(department="FGJ", roles=("auditor",)), 403),
                            ({"Authorization": f"Bearer {make_token(user='p')}"}, 403)]:
        response = await client.post("/import", headers=headers, data=data, files=files)
        assert response.status_code == status, (headers, response.text)
        assert response.json()["errors"][0]["message"]
    assert await stored_documents(db, "TOKEN") == set()
    response = await client.post("/import", headers=officer(department="FY"), data=data, files=files)
    assert response.status_code == 403 and "does not provide" in response.json()["errors"][0]["message"]
    response = await client.post("/import", headers=officer(), data={"catalogueItem": "HC-NOPE"}, files=files)
    assert response.status_code == 422
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_UPLOAD" and "HC-NOPE" in response.json()["errors"][0]["message"]
    response = await client.post("/import", headers=officer(), data=data,
                                 files={"file": ("x.txt", b"hello")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_UPLOAD" and "x.txt" in response.json()["errors"][0]["message"]


async def test_upload_form_fields_are_checked_and_errors_name_the_file_sent(db, tmp_path, upload_client):
    client, _ = upload_client
    prefix = f"FORM{db.dialect.name[:2].upper()}"
    content = write_csv(tmp_path / "a.csv", [good_row(prefix, 1)], labels=True).read_bytes()
    response = await client.post("/import", headers=officer(), data={"catalogueItm": ITEM.code},
                                 files={"file": ("处罚.csv", content)})
    assert response.status_code == 400 and "catalogueItm" in response.json()["errors"][0]["message"]
    assert "catalogueItem" in response.json()["errors"][0]["message"]  # names the fields there are
    response = await client.post("/import", headers=officer(), data={"item": ITEM.code, "catalogueItem": "HC-X"},
                                 files={"file": ("处罚.csv", content)})
    assert response.status_code == 400 and "different items" in response.json()["errors"][0]["message"]
    response = await client.post("/import", headers=officer(), data={"item": ITEM.code},  # the CLI's name
                                 files={"file": ("处罚.csv", content)})
    assert (await imported(client, response, officer()))["stored"] == 1
    response = await client.post("/import", headers=officer(), data={"item": ITEM.code},
                                 files={"file": ("../../我的处罚.csv", b"no,such,columns\n1,2,3\n")})
    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "我的处罚.csv" in message and "upload.csv" not in message and "../" not in message


# --------------------------------------------------------------------------------------------- CLI


def run_cli(tmp_path: Path, *argv: str) -> int:
    """`credit-gateway template|import` in this process, against a SQLite file in tmp_path."""
    import argparse

    from gateway.settings import Settings
    from gateway.spreadsheet_cli import add_spreadsheet_commands

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
                        load_demo_on_empty=False)
    parser = argparse.ArgumentParser(prog="credit-gateway")
    add_spreadsheet_commands(parser.add_subparsers(required=True), lambda: settings)
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_exit_codes(tmp_path, capsys):
    template = tmp_path / "penalty.xlsx"
    assert run_cli(tmp_path, "template", ITEM.code, "-o", str(template)) == 0 and template.exists()
    assert run_cli(tmp_path, "template", "HC-NOPE", "-o", str(tmp_path / "x.xlsx")) == 2
    assert "no catalogue item 'HC-NOPE'" in capsys.readouterr().err
    good = fill_template(tmp_path / "good.xlsx", [good_row("CLI", 701), good_row("CLI", 702)])
    assert run_cli(tmp_path, "import", str(good), "--department", DEPARTMENT) == 0
    out = capsys.readouterr().out
    assert "committed rows 4-5: 2 stored, 0 unchanged, 0 rejected; ids" in out
    rows, faults, _ = faulty_batch("CLIBAD", 800)
    bad = fill_template(tmp_path / "bad.xlsx", rows)
    assert run_cli(tmp_path, "import", str(bad), "--department", DEPARTMENT, "--all-or-nothing") == 1
    assert {r["row"] for r in report_rows(tmp_path / "bad.errors.csv")} == set(faults)
    assert "committed rows" not in capsys.readouterr().out  # all or nothing: nothing committed
    plain = write_csv(tmp_path / "plain.csv", [good_row("CLI", 703)], labels=True)
    for argv, message in [((str(plain), "--department", DEPARTMENT), "--item"),
                          ((str(good), "--department", "NOPE"), "no department"),
                          ((str(good), "--department", "FY"), "does not provide"),
                          ((str(tmp_path / "missing.csv"), "--department", DEPARTMENT), "no such file"),
                          ((str(good), "--department", DEPARTMENT, "--item", "HC-10-2-LICENCE"), "template for")]:
        assert run_cli(tmp_path, "import", *argv) == 2, argv
        assert message in capsys.readouterr().err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert run_cli(tmp_path, "import", str(broken), "--department", DEPARTMENT, "--item", ITEM.code) == 2
    assert "not a readable .xlsx" in capsys.readouterr().err
