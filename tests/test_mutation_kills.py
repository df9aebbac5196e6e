"""Tests that kill the survivors `make mutation` found (issue 12; tests/MUTATION.md): each pins one
rule, through HTTP where that is how the rule is used, and names the mutant it kills."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import insert, select

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.enums import RecordStatus
from gateway.log_checkpoints import CheckpointPolicy, LogCheckpoints
from policies.engine import CONDITIONS, PolicyFileError, parse_policy_lines
from store.chain import GENESIS, HASHED_FIELDS, QUERY_LOG, SUBMISSION_LOG, ChainFault, anchor_key, append, \
    append_submission_log, canonical_time, entry_hash, logged_subject, verify
from store.checkpoints import Checkpoint, CheckpointSink, key_id, load_or_create_key, load_public_keys, \
    public_key_path, read_checkpoints
from store.models import Record, Setting, SubmissionLogEntry, Subject
from tests import permits
from tests import world as w
from tests.conftest import TODAY, app_for, graphql, make_token
from tests.test_access_matrix import GRANT, _window


# ---- resolvers/access.py: a purpose and a basis, both; the explanation names the deciding line ---

async def test_a_purpose_or_a_basis_alone_is_not_a_declaration(client):
    """Mutant access.py `purpose is not None and basis` -> `or`: either header alone counted as both
    (tests sent both or neither). FY reads SHARED with its permit; half the headers open nothing."""
    await permits.ensure(client, "HC-SQ-2026-FY", "FY", ["SHARED", "LIMITED"])
    officer = make_token(user="k-half", department="FY", roles=["officer"])
    auditor = make_token(user="k-half-aud", department="FGJ", roles=["auditor"])
    query = """query($c: [ID!]!, $s: RecordStatus){ subjects(codes: $c){ code
      records(status: $s, first: 9){ edges { node { visibility } } } } }"""
    for declared in ({"basis": "HC-SQ-2026-FY"}, {"purpose": "licensing"}):
        body = await graphql(client, query, {"c": [w.ORG_A, w.PERSON_P]}, token=officer, **declared)
        seen = [e["node"]["visibility"] for s in body["data"]["subjects"] for e in s["records"]["edges"]]
        assert seen == ["PUBLIC", "PUBLIC"], (declared, body)
        assert body["data"]["subjects"][1]["code"] == w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
        notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
        assert len(notices) == 1 and "declare X-Query-Purpose and X-Query-Basis" in notices[0], notices
        # an auditor's archived records need both as well (SPEC 3.2)
        body = await graphql(client, query, {"c": [w.ORG_A], "s": "ARCHIVED"}, token=auditor, **declared)
        assert body["data"]["subjects"][0]["records"]["edges"] == [], (declared, body)
    body = await graphql(client, query, {"c": [w.ORG_A, w.PERSON_P]}, token=officer, purpose="licensing",
                         basis="HC-SQ-2026-FY")
    assert sorted(e["node"]["visibility"] for s in body["data"]["subjects"] for e in s["records"]["edges"]) == [
        "LIMITED", "PUBLIC", "PUBLIC", "SHARED", "SHARED"], body


EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"


async def _explained(client, label, token, **declared):
    record = w.WORLD.records[label]
    body = await graphql(client, EXPLAIN, {"id": str(record)}, token=token, **declared)
    return record, body["data"]["accessExplanation"]


async def test_the_explanation_names_the_first_allowing_line_and_every_role_considered(client):
    """Mutants of explain(): the last allowing line named instead of the deciding one, a role dropped."""
    provider = w.WORLD.items["ORGANISATION-PUBLIC"].providers[0]
    record, explanation = await _explained(client, "A-PUBLIC", make_token(user="k-pv", department=provider,
                                                                          roles=["officer"]))
    item = w.WORLD.items["ORGANISATION-PUBLIC"].code
    assert explanation == {"allowed": True, "decidedBy": "p, public, PUBLIC, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item}, status ACTIVE; you: roles public, officer, department "
        f"{provider}, condition none",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "role officer (any subject): p, officer, PUBLIC, *, read, always",
        "role provider (your department provided it): p, provider, *, *, read, always"]}


async def test_an_archived_record_is_explained_by_the_role_that_may_read_it(client):
    """Mutants of explain()'s live-only rule: the public and officers read active records only; an
    auditor with a basis and the record's provider read it archived (SPEC 3.2, HC-19)."""
    item = w.WORLD.items["org-bad-public"]
    provider = item.providers[0]
    record, explanation = await _explained(client, "A-ARCHIVED", make_token(user="k-aud2", department="FGJ",
                                                                            roles=["auditor"]),
                                           purpose="supervision", basis="JD-2026-K2")
    assert explanation == {"allowed": True, "decidedBy": "p, officer, PUBLIC, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item.code}, status ARCHIVED; you: roles public, auditor, department "
        "FGJ, condition declared",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "the record is ARCHIVED: role public reads active records only (HC-19, SPEC 3.2)",
        "role auditor (any subject): p, officer, PUBLIC, *, read, always"]}
    record, explanation = await _explained(client, "A-ARCHIVED", make_token(user="k-pv2", department=provider,
                                                                            roles=["officer"]))
    assert explanation == {"allowed": True, "decidedBy": "p, provider, *, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item.code}, status ARCHIVED; you: roles public, officer, department "
        f"{provider}, condition none",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "the record is ARCHIVED: role public reads active records only (HC-19, SPEC 3.2)",
        "role officer (any subject): p, officer, PUBLIC, *, read, always",
        "the record is ARCHIVED: role officer reads active records only (HC-19, SPEC 3.2)",
        "role provider (your department provided it): p, provider, *, *, read, always"]}


# ---- resolvers/scope.py: the last day of a disclosure period is still inside it (HC-19) -----------

ORG_LAST_DAY = w.org_code(1, series="MK")  # this module's own organisation


@pytest.fixture
async def org_on_its_last_day(engine):
    """An organisation with two PUBLIC records: one whose period ends today, one that ended yesterday."""
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == ORG_LAST_DAY))).scalar():
            return ORG_LAST_DAY
        await connection.execute(insert(Subject).values(code=ORG_LAST_DAY, kind="ORGANISATION",
                                                        name="威海市环翠区末日商贸有限公司", status="ACTIVE"))
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == w.WORLD.records["A-PUBLIC"]))).one()._asdict()
        row.pop("id")
        for number, ends_on in (("K2", TODAY), ("K3", TODAY - dt.timedelta(days=1))):
            await connection.execute(insert(Record).values(**{
                **row, "subject_code": ORG_LAST_DAY, "document_number": f"TEST〔2025〕{number}号",
                "disclosure_ends_on": ends_on}))
    return ORG_LAST_DAY


async def test_a_record_is_public_on_the_last_day_of_its_period_and_archived_the_day_after(client, org_on_its_last_day):
    """Mutants scope.py `disclosure_ends_on >= today` -> `>` and `< today` -> `<=` (the SQL, not the
    domain function): the last day read as expired."""
    query = """query($c: [ID!]!, $s: RecordStatus){ subjects(codes: $c){
      records(status: $s, first: 5){ edges { node { documentNumber status } } } } }"""
    active = await graphql(client, query, {"c": [org_on_its_last_day], "s": "ACTIVE"})
    assert [e["node"] for e in active["data"]["subjects"][0]["records"]["edges"]] == [
        {"documentNumber": "TEST〔2025〕K2号", "status": "ACTIVE"}], active
    auditor = make_token(user="k-aud", department="FGJ", roles=["auditor"])
    archived = await graphql(client, query, {"c": [org_on_its_last_day], "s": "ARCHIVED"}, token=auditor,
                             purpose="supervision", basis="JD-2026-K")
    assert [e["node"] for e in archived["data"]["subjects"][0]["records"]["edges"]] == [
        {"documentNumber": "TEST〔2025〕K3号", "status": "ARCHIVED"}], archived


# ---- store/chain.py: what an entry's hash covers, how appends link, how verify names a fault -----

QUERY_ENTRY = {
    "at": dt.datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    "request_id": "req-1", "user": "u-1", "department": "SCJG", "roles": ["officer"], "client": "10.0.0.7",
    "operation_name": "Look", "operation_type": "query", "document_hash": "d" * 64, "variables": {"c": "x"},
    "purpose": "licensing", "basis": "HC-SQ-1", "authorization_id": 7, "subjects": ["S1"], "record_ids": [1, 2],
    "refused": [{"path": "record"}], "outcome": "PARTIAL", "duration_ms": 1.23449,
}
SUBMISSION_ENTRY = {"at": dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc), "user": "u-2", "department": "FY",
                    "action": "SUBMIT", "channel": "API", "detail": {"records": [5]}}
CHANGED = {"at": dt.datetime(2026, 11, 20, 2, 0, 0, 123457, tzinfo=dt.timezone.utc), "roles": ["auditor"],
           "variables": {"c": "y"}, "authorization_id": 8, "subjects": ["S2"], "record_ids": [1], "refused": [],
           "duration_ms": 1.236, "detail": {"records": [6]}}


@pytest.mark.parametrize("table, entry", [("query_log", QUERY_ENTRY), ("submission_log", SUBMISSION_ENTRY)])
def test_an_entry_hash_covers_every_column_and_its_predecessor(table, entry):
    """Mutants dropping a field from HASHED_FIELDS (`refused`, `user`, `detail`, ...) or prev_hash
    from the hash: each column changed in turn changes the hash."""
    base = entry_hash(table, entry, "a" * 64)
    assert entry_hash(table, entry, "b" * 64) != base
    assert sorted(HASHED_FIELDS[table]) == sorted(entry)
    for name in entry:
        changed = {**entry, name: CHANGED.get(name, f"{entry[name]}-changed")}
        assert entry_hash(table, changed, "a" * 64) != base, name
    # the same instant in another zone, and a duration equal to 3 decimals, hash alike
    same = {**entry, "at": entry["at"].astimezone(dt.timezone.utc)}
    if "duration_ms" in entry:
        same["duration_ms"] = 1.2345
    assert entry_hash(table, same, "a" * 64) == base


def test_entry_hashes_are_those_written_by_earlier_releases():
    """A known answer: the payload's form (sorted keys, UTF-8, compact separators, UTC microseconds)
    must not change, or every stored chain stops verifying."""
    assert entry_hash("submission_log", {**SUBMISSION_ENTRY, "user": "张三"}, GENESIS) == \
        "34178d62ddbfeb798d59c071bf409558c0e4ead02c11c118e4f8fb054e04e04c"
    assert entry_hash("query_log", QUERY_ENTRY, GENESIS) == \
        "9066828a421986196c8932e7c027c54a7389fe3dd4d6011e75c0b3044bd5bed2"
    named = entry_hash("query_log", {**QUERY_ENTRY, "user_name": "李四"}, GENESIS)
    assert named != entry_hash("query_log", QUERY_ENTRY, GENESIS)
    assert entry_hash("query_log", {**QUERY_ENTRY, "user_name": None}, GENESIS) == entry_hash(
        "query_log", QUERY_ENTRY, GENESIS)


def test_canonical_forms():
    assert canonical_time(dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))) == \
        "2026-01-02T00:00:00.000000"
    assert canonical_time(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000"
    assert logged_subject(w.PERSON_P) == w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
    assert logged_subject(w.ORG_A) == w.ORG_A
    assert anchor_key("query_log") == "query_log_anchor"


@pytest.fixture
async def empty_logs(backend, tmp_path_factory):
    from tests.conftest import fresh_engine

    engine = await fresh_engine(backend, tmp_path_factory, "chain-kills")
    yield engine
    await engine.dispose()


async def _rows(engine, table):
    async with engine.connect() as connection:
        return (await connection.execute(select(table).order_by(table.c.seq))).all()


async def test_appends_link_each_entry_to_the_last_and_after_a_purge_to_the_anchor(empty_logs):
    """Mutants of _lock_and_head / append_rows: the first entry links to GENESIS, each next to its
    predecessor (also within one batch), and once every entry was exported and purged, to the anchor."""
    async with empty_logs.begin() as connection:
        assert await append(connection, SUBMISSION_LOG, []) == []
        first = await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
        seqs = await append(connection, SUBMISSION_LOG, [{**SUBMISSION_ENTRY, "at": None},
                                                         {**SUBMISSION_ENTRY, "action": "CORRECT"}])
    assert seqs == [first + 1, first + 2]
    rows = await _rows(empty_logs, SUBMISSION_LOG)
    assert [r.prev_hash for r in rows] == [GENESIS, rows[0].entry_hash, rows[1].entry_hash]
    assert rows[0].detail == {} and rows[0].channel is None and rows[2].action == "CORRECT"
    assert rows[1].at is not None
    assert verify("submission_log", rows) == (3, None)
    # the query log, its entries all exported and purged (store/log_archive.py): it resumes at the anchor
    anchor = "c" * 64
    async with empty_logs.begin() as connection:
        await connection.execute(insert(Setting).values(key=anchor_key("query_log"), value=f"41:{anchor}"))
        await append(connection, QUERY_LOG, [QUERY_ENTRY])
    logged = (await _rows(empty_logs, QUERY_LOG))[0]
    assert logged.duration_ms == 1.234 and logged.prev_hash == anchor
    assert verify("query_log", [logged], start_hash=anchor, first_seq=41) == (1, None)


def _chain(n):
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        row = {**SUBMISSION_ENTRY, "action": f"A{seq}", "seq": seq, "prev_hash": prev}
        row["entry_hash"] = prev = entry_hash("submission_log", row, prev)
        rows.append(row)
    return rows


def test_verify_names_each_kind_of_fault_at_its_entry():
    """Mutants of verify(): the count, the kind and the entry named for each attack."""
    rows = _chain(5)
    assert verify("submission_log", rows) == (5, None)
    assert verify("submission_log", []) == (0, None)
    edited = [*rows[:2], {**rows[2], "action": "FORGED"}, *rows[3:]]
    assert verify("submission_log", edited) == (3, ChainFault(3, "EDITED", "entry 3 was edited: its content no "
                                                                            "longer matches its hash"))
    deleted = [*rows[:2], *rows[3:]]
    assert verify("submission_log", deleted) == (3, ChainFault(
        4, "DELETED", "entry 4 follows entry 2, but its predecessor hash does not match: entries between them were "
                      "deleted"))
    forged = {**rows[1], "prev_hash": "f" * 64}
    forged["entry_hash"] = entry_hash("submission_log", forged, forged["prev_hash"])
    assert verify("submission_log", [rows[0], forged, *rows[2:]]) == (2, ChainFault(
        2, "INSERTED_OR_REORDERED", "entry 2 does not link to entry 1: an entry was inserted here or entries were "
                                    "reordered"))
    assert verify("submission_log", [rows[0], rows[2], rows[1]])[1].kind == "DELETED"  # 3 after 1: a gap
    assert verify("submission_log", rows[1:]) == (1, ChainFault(
        2, "INSERTED_OR_REORDERED", "entry 2 does not link to entry the start: an entry was inserted here or entries "
                                    "were reordered"))
    # resumed from an anchor: the anchor's entry and seq
    assert verify("submission_log", rows[2:], start_hash=rows[1]["entry_hash"], first_seq=2) == (3, None)
    assert verify("submission_log", rows[3:], start_hash=rows[1]["entry_hash"], first_seq=2)[1].kind == "DELETED"
    # a deleted entry whose successor was relinked and rehashed is an edit of the chain, not silent
    relinked = {**rows[2], "prev_hash": rows[0]["entry_hash"]}
    assert verify("submission_log", [rows[0], relinked, *rows[3:]])[1].seq == 3


# ---- store/checkpoints.py: the signing key, the checkpoint lines, each bad line named -----------

def test_the_checkpoint_key_is_created_private_once_and_its_public_half_beside_it(tmp_path):
    """Mutants of load_or_create_key: mode 0600, created once and reused, the .pub file written."""
    key_path = tmp_path / "keys" / "log-checkpoint-key"
    key = load_or_create_key(key_path)
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    public = public_key_path(key_path)
    assert public.name == "log-checkpoint-key.pub" and oct(public.stat().st_mode & 0o777) == "0o644"
    again = load_or_create_key(key_path)
    assert key_id(again.public_key()) == key_id(key.public_key()) and len(key_id(key.public_key())) == 16
    assert list(load_public_keys([public])) == [key_id(key.public_key())]
    public.write_text("stale")  # a wrong public half is rewritten from the key
    load_or_create_key(key_path)
    assert list(load_public_keys([public])) == [key_id(key.public_key())]
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["log-checkpoint-key", "log-checkpoint-key.pub"]
    (tmp_path / "bad-key").write_text("not a key")
    with pytest.raises(ValueError, match="does not hold an unencrypted PEM private key"):
        load_or_create_key(tmp_path / "bad-key")


def test_checkpoint_lines_read_back_and_every_bad_line_is_named(tmp_path):
    """Mutants of CheckpointSink.write and read_checkpoints: what is signed, each fault's line."""
    directory = tmp_path / "log-checkpoints"
    sink = CheckpointSink.for_paths(directory, tmp_path / "key")
    keys = load_public_keys([public_key_path(tmp_path / "key")])
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first = sink.write("query_log", 5, "a" * 64, now=at)
    assert first == Checkpoint("query_log", "head", 5, "a" * 64, "2026-11-20T02:00:00.000000+00:00", sink.key_id)
    sink.write("query_log", 9, "b" * 64, kind="anchor", now=at)
    assert read_checkpoints(directory, "submission_log", keys) == ([], [])
    good, bad = read_checkpoints(directory, "query_log", keys)
    assert [(c.kind, c.seq, c.hash, c.line) for c in good] == [("head", 5, "a" * 64, 1), ("anchor", 9, "b" * 64, 2)]
    assert bad == []
    path = directory / "query_log.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("{") for line in lines)
    altered = lines[0].replace('"seq":5', '"seq":6')
    other_key = CheckpointSink(tmp_path / "other", Ed25519PrivateKey.generate())
    other_line = (other_key.write("query_log", 1, "c" * 64) and
                  (tmp_path / "other" / "query_log.jsonl").read_text().strip())
    elsewhere = sink.write("submission_log", 3, "d" * 64)
    wrong_table = (directory / "submission_log.jsonl").read_text().strip()
    path.write_text("\n".join([lines[0], "", "garbage", altered, other_line, wrong_table, lines[1]]) + "\n")
    good, bad = read_checkpoints(directory, "query_log", keys)
    assert [c.line for c in good] == [1, 7]
    assert [b.line for b in bad] == [3, 4, 5, 6]
    assert bad[0].message == f"{path}:3 is not a checkpoint line"
    assert bad[1].message == f"{path}:4: the signature does not verify: the line was forged or altered"
    assert bad[2].message.startswith(f"{path}:5 is signed by key {other_key.key_id}, which is not among")
    assert bad[3].message == f"{path}:6 is a checkpoint of submission_log (head), not of query_log"
    assert elsewhere.table == "submission_log"


# ---- policies/engine.py: the policy file's format, each fault named with its line (SPEC 3.1) -----

def test_policy_lines_skip_comments_and_blanks_and_keep_g_lines():
    """Mutants of parse_policy_lines' skipping, stripping and line types."""
    text = "# the common lines\n\n   \np,officer , SHARED, *, read, purpose\ng, alice, officer\ng2, FY, ITEM-1\n" \
           "p, agency, SHARED, *, read, never\n  # indented comment\n"
    assert parse_policy_lines(text) == [["p", "officer", "SHARED", "*", "read", "purpose"],
                                        ["g", "alice", "officer"], ["g2", "FY", "ITEM-1"],
                                        ["p", "agency", "SHARED", "*", "read", "never"]]
    for condition in CONDITIONS:
        assert parse_policy_lines(f"p, officer, SHARED, *, read, {condition}")[0][5] == condition


@pytest.mark.parametrize("text, fault", [
    ("p, officer, SHARED, *, read", "mine:2: a p line has 5 fields (role, class, item, action, condition), found 4"),
    ("p, officer, SHARED, *, read, purpose, extra", "found 6"),
    ("g, alice", "mine:2: a g line has 2 fields, found 1"),
    ("g2, FY, ITEM-1, more", "mine:2: a g2 line has 2 fields, found 3"),
    ("q, officer, SHARED", "mine:2: unknown line type 'q' (use p, g or g2)"),
    ("p, officer, SHARED, *, read, sometimes", "mine:2: condition 'sometimes' is not one of"),
    ("p, officer, , *, read, purpose", "mine:2: empty field in"),
    ("g, , officer", "mine:2: empty field in"),
])
def test_each_fault_of_a_policy_file_is_named_with_its_line(text, fault):
    with pytest.raises(PolicyFileError) as raised:
        parse_policy_lines("# first line\n" + text, source="mine")
    assert fault in str(raised.value)


def test_a_policy_fault_without_a_source_names_the_policy():
    with pytest.raises(PolicyFileError, match=r"^policy:1: a p line has 5 fields"):
        parse_policy_lines("p, officer")


# ---- gateway/log_checkpoints.py: which heads are signed, and when -------------------------------

class RecordingSink:
    """Stands in for CheckpointSink: keeps what would be signed."""

    def __init__(self):
        self.written = []

    def write(self, table, seq, entry_hash, kind="head", now=None):
        self.written.append((table, seq, entry_hash))


async def test_heads_are_signed_every_n_entries_at_most_once_and_never_backwards(empty_logs):
    """Mutants of LogCheckpoints.note/_sign/checkpoint_now/_newer."""
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=3, every_seconds=3600))
    assert CheckpointPolicy() == CheckpointPolicy(every_entries=100, every_seconds=10.0)
    checkpoints.note("query_log", 1, "h1", 1)
    checkpoints.note("query_log", 2, "h2", 1)
    await asyncio.sleep(0)
    assert sink.written == []  # two entries: not yet
    checkpoints.note("query_log", 4, "h4", 2)  # four since the last: signed
    checkpoints.note("query_log", 3, "h3", 0)  # an older head reported late is not the head
    await asyncio.gather(*checkpoints._pending)
    assert sink.written == [("query_log", 4, "h4")]
    checkpoints.note("query_log", 5, "h5", 2)
    await asyncio.gather(*checkpoints._pending)
    assert sink.written == [("query_log", 4, "h4")]  # two since: not yet
    await checkpoints.checkpoint_now()  # no engine: what this process committed
    await checkpoints.checkpoint_now()  # unchanged: not signed twice
    assert sink.written == [("query_log", 4, "h4"), ("query_log", 5, "h5")]
    await checkpoints._sign("query_log", (2, "h2"))  # the head went back: never signed over
    assert sink.written[-1] == ("query_log", 5, "h5")

    # with the database: both chains' committed heads, at start, tick-free, and at close
    async with empty_logs.begin() as connection:
        await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
        await append(connection, QUERY_LOG, [QUERY_ENTRY, QUERY_ENTRY])
    rows = {t.name: (await _rows(empty_logs, t))[-1] for t in (QUERY_LOG, SUBMISSION_LOG)}
    sink2 = RecordingSink()
    second = LogCheckpoints(sink2, CheckpointPolicy(every_entries=1000, every_seconds=3600))
    await second.start(empty_logs)
    second.note("query_log", rows["query_log"].seq + 5, "later", 1)  # this process committed beyond the database
    await second.close()
    assert sorted(sink2.written) == [("query_log", rows["query_log"].seq + 5, "later"),
                                     ("submission_log", rows["submission_log"].seq, rows["submission_log"].entry_hash)]
    sink3 = RecordingSink()
    third = LogCheckpoints(sink3, CheckpointPolicy(every_entries=1000, every_seconds=3600))
    await third.start(empty_logs)
    await third.close()
    assert sorted(sink3.written) == [("query_log", rows["query_log"].seq, rows["query_log"].entry_hash),
                                     ("submission_log", rows["submission_log"].seq, rows["submission_log"].entry_hash)]


async def test_the_ticker_signs_moved_heads_every_period(empty_logs):
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=1000, every_seconds=0.01))
    await checkpoints.start(empty_logs)
    async with empty_logs.begin() as connection:
        await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
    for _ in range(500):
        if sink.written:
            break
        await asyncio.sleep(0.01)
    await checkpoints.close()
    assert [t for t, _, _ in sink.written] == ["submission_log"]


# ---- resolvers/scope.py: policies switched off (benchmarks only) means every record --------------

async def test_policies_switched_off_answer_every_record_even_revoked(engine):
    """Mutant scope.py UNRESTRICTED_SCOPE `all_records=False`: revoked records disappeared with the
    policies off (bench/policy_overhead.py compares against exactly this)."""
    import httpx

    from tests.conftest import app_for

    app = app_for(engine)
    app.state.gateway.policies.enabled = False
    query = """query($c: [ID!]!){ subjects(codes: $c){ code records(status: REVOKED, first: 5){ totalCount } } }"""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as off:
        body = await graphql(off, query, {"c": [w.ORG_A]})
    assert body["data"]["subjects"][0]["records"]["totalCount"] == 1, body  # A-REVOKED


# ---- resolvers/permits.py: registering, revoking and using a query permit (HC-23, XZ-18) --------

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Huancui on the test world's day


def _permit_input(number, *, department="STHJ", classes=("SHARED",), items=(), valid_from=NOW,
                  valid_until=NOW + dt.timedelta(days=30), document="环翠区生态环境局查询申请"):
    return {"input": {"number": number, "department": department,
                      "scope": {"classes": list(classes), "catalogueItems": list(items)},
                      "validFrom": valid_from.isoformat(), "validUntil": valid_until.isoformat(),
                      "documentRef": document}}


_APPS: dict = {}


def _app_at(engine, now):
    """The app on `engine` with its clock fixed at `now`; one per (database, instant), reused."""
    key = (id(engine), now)
    if key not in _APPS:
        _APPS[key] = app_for(engine, now=now)
    return _APPS[key]


async def _register_at(engine, now, variables) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app_at(engine, now)),
                                 base_url="http://gateway") as at:
        body = await graphql(at, permits.REGISTER, variables, token=permits.CENTRE)
    assert "errors" not in body, body
    return body["data"]["registerQueryPermit"]


def _problems(payload) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize("label, changes, problems", [
    ("number of 129 characters", {"number": "K" * 129}, [("INVALID", "number")]),
    ("blank number", {"number": "  "}, [("INVALID", "number")]),
    ("unknown department", {"department": "NOPE"}, [("UNKNOWN_DEPARTMENT", "department")]),
    ("the centre itself", {"department": "XYZX"}, [("INVALID", "department")]),
    ("empty scope", {"classes": ()}, [("EMPTY_SCOPE", "scope")]),
    ("a PUBLIC class", {"classes": ("SHARED", "PUBLIC")}, [("INVALID", "scope.classes")]),
    ("an AUTHORIZED class", {"classes": ("AUTHORIZED",)}, [("INVALID", "scope.classes")]),
    ("unknown item", {"classes": (), "items": ("NOPE-1",)}, [("UNKNOWN_ITEM", "scope.catalogueItems")]),
    ("until equal to from", {"valid_from": NOW + dt.timedelta(days=1), "valid_until": NOW + dt.timedelta(days=1)},
     [("INVALID", "validUntil")]),
    ("over five years", {"valid_until": NOW + dt.timedelta(days=366 * 5, seconds=1)}, [("INVALID", "validUntil")]),
    ("ended already", {"valid_from": NOW - dt.timedelta(days=9), "valid_until": NOW}, [("INVALID", "validUntil")]),
    ("document of 201 characters", {"document": "函" * 201}, [("INVALID", "documentRef")]),
    ("blank document", {"document": " "}, [("INVALID", "documentRef")]),
])
async def test_each_fault_of_a_permit_is_named_alone(engine, label, changes, problems):
    """Mutants of register_permit's checks: each bad field gives exactly its own problem, no other."""
    changes = dict(changes)
    payload = await _register_at(engine, NOW, _permit_input(changes.pop("number", f"K-BAD-{label}"), **changes))
    assert payload["permit"] is None and _problems(payload) == problems, payload


async def test_a_permit_at_each_limit_is_registered_and_logged(engine, client):
    """The limits themselves are allowed: 128-character number, 200-character document, exactly the
    longest validity, items only; each registration is a submission-log entry (HC-35)."""
    limited_item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    number = "K-LIMITS-" + "9" * 119
    payload = await _register_at(engine, NOW, _permit_input(
        f" {number} ", classes=(), items=(limited_item, limited_item), document="函" * 200,
        valid_until=NOW + dt.timedelta(days=366 * 5)))
    assert payload["errors"] == [], payload
    permit = payload["permit"]
    assert (permit["number"], permit["department"], permit["classes"], permit["catalogueItems"]) == (
        number, "STHJ", [], [limited_item])
    async with engine.connect() as connection:
        logged = (await connection.execute(select(SubmissionLogEntry.__table__).where(
            SubmissionLogEntry.action == "REGISTER_QUERY_PERMIT").order_by(SubmissionLogEntry.seq.desc()))).first()
    assert (logged.user, logged.department) == ("centre-op", "XYZX")
    assert logged.detail["number"] == number and logged.detail["items"] == [limited_item]


async def test_revoking_a_permit_names_each_fault_and_is_logged(engine, client):
    permit = (await _register_at(engine, NOW, _permit_input("K-REVOKE", classes=("SHARED", "LIMITED"))))["permit"]
    for reason, problem in (("", "INVALID"), ("x" * 501, "INVALID")):
        body = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": reason}},
                             token=permits.CENTRE)
        assert _problems(body["data"]["revokeQueryPermit"]) == [(problem, "reason")], body
    body = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": "r" * 500}},
                         token=permits.CENTRE)
    revoked = body["data"]["revokeQueryPermit"]
    assert revoked["errors"] == [] and revoked["permit"]["revokedBy"] == "centre-op", body
    assert revoked["permit"]["revocationReason"] == "r" * 500 and revoked["permit"]["revokedAt"]
    again = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": "again"}},
                          token=permits.CENTRE)
    assert _problems(again["data"]["revokeQueryPermit"]) == [("ALREADY_REVOKED", "id")]
    async with engine.connect() as connection:
        logged = (await connection.execute(select(SubmissionLogEntry.__table__).where(
            SubmissionLogEntry.action == "REVOKE_QUERY_PERMIT").order_by(SubmissionLogEntry.seq.desc()))).first()
    assert logged.detail["number"] == "K-REVOKE" and logged.detail["reason"] == "r" * 500
    assert logged.user == "centre-op"


async def test_a_permit_opens_records_from_its_first_instant_to_just_before_its_end(engine):
    """Mutants of why_not_valid's and list_permits' boundaries: valid from `validFrom` inclusive,
    until `validUntil` exclusive, as a reader and as the centre's list see it."""
    end = NOW + dt.timedelta(days=2)
    assert (await _register_at(engine, NOW, _permit_input("K-WINDOW", department="STHJ", valid_until=end)))["permit"]
    officer = make_token(user="k-sthj", department="STHJ", roles=["officer"])
    query = "query($c: [ID!]!){ subjects(codes: $c){ records(first: 9){ edges { node { visibility } } } } }"
    listed = """query{ queryPermits(department: "STHJ", validOnly: true){ number } }"""
    for now, opens in ((NOW - dt.timedelta(seconds=1), False), (NOW, True), (end - dt.timedelta(seconds=1), True),
                       (end, False)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app_at(engine, now)),
                                     base_url="http://gateway") as at:
            body = await graphql(at, query, {"c": [w.ORG_A]}, token=officer, purpose="licensing", basis="K-WINDOW")
            seen = sorted(e["node"]["visibility"] for e in body["data"]["subjects"][0]["records"]["edges"])
            assert seen == (["PUBLIC", "SHARED"] if opens else ["PUBLIC"]), (now, body)
            numbers = [p["number"] for p in (await graphql(at, listed, token=permits.CENTRE))["data"]["queryPermits"]]
            assert ("K-WINDOW" in numbers) is opens, (now, numbers)


# ---- resolvers/scope.py: a grantee's right never reaches archived records (SPEC 3.2, HC-19) ------

PERSON_ARCHIVED = w.person_code(161)  # this module's own person: an archived AUTHORIZED record only


@pytest.fixture
async def person_with_archived_record(engine):
    """A person whose one AUTHORIZED record is archived (swept); inserted once per database."""
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == PERSON_ARCHIVED))).scalar():
            return PERSON_ARCHIVED
        await connection.execute(insert(Subject).values(code=PERSON_ARCHIVED, kind="NATURAL_PERSON", name="钱七",
                                                        status="ACTIVE"))
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == w.WORLD.records["P-AUTHORIZED"]))).one()._asdict()
        row.pop("id")
        await connection.execute(insert(Record).values(**{
            **row, "subject_code": PERSON_ARCHIVED, "document_number": "TEST〔2025〕K1号",
            "status": RecordStatus.ARCHIVED.value, "status_changed_on": dt.date(2026, 1, 5)}))
    return PERSON_ARCHIVED


async def test_a_grantee_does_not_see_the_archived_records_of_its_grantor(client, person_with_archived_record):
    """Mutant scope.py `SubjectRight.archived_too = True` by default: grantees saw archived records."""
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"user": "bank-kill-archive"}, "scope": {"classes": ["AUTHORIZED"]},
                                         "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-K-1"},
                         token=make_token(user="k-self", subject=person_with_archived_record))
    assert "errors" not in body, body
    query = """query($c: [ID!]!){ subjects(codes: $c){ records(status: ARCHIVED, first: 5){ totalCount } } }"""
    subject = await graphql(client, query, {"c": [person_with_archived_record]},
                            token=make_token(user="k-self", subject=person_with_archived_record))
    assert subject["data"]["subjects"][0]["records"]["totalCount"] == 1  # the subject itself sees it
    grantee = await graphql(client, query, {"c": [person_with_archived_record]}, token=make_token(user="bank-kill-archive"),
                            purpose="licensing", basis="SQ-K-1")
    assert grantee["data"]["subjects"][0]["records"]["totalCount"] == 0, grantee
