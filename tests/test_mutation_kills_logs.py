"""Tests that kill the survivors `make mutation` found in the log code (issue 12; tests/MUTATION.md):
what an entry's hash covers, how appends link, how verify names a fault, the checkpoint key and lines,
and which heads are signed when. The chain and the checkpoints are store functions that verify-log
and the query log's writer call; they are tested here as those callers use them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select

from gateway.log_checkpoints import CheckpointPolicy, LogCheckpoints
from store.chain import GENESIS, HASHED_FIELDS, QUERY_LOG, SUBMISSION_LOG, ChainFault, anchor_key, append, \
    append_submission_log, canonical_time, entry_hash, logged_subject, verify
from store.checkpoints import Checkpoint, CheckpointSink, key_id, load_or_create_key, load_public_keys, \
    public_key_path, read_checkpoints
from store.models import Setting
from tests import world as w


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
    assert logged_subject("11010519491231002X") == "110105********002X"  # a check character X is masked too
    assert logged_subject(w.ORG_A) == w.ORG_A
    assert anchor_key("query_log") == "query_log_anchor"


@pytest.fixture
async def empty_logs(backend, tmp_path):
    """Empty, migrated logs in a database of this test's own (a scratch database on PostgreSQL:
    never the shared world's)."""
    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url

    engine = create_engine(await scratch_url(backend, tmp_path, "chain_kills"))
    await initialise(engine, "huancui")
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
        # numbered on from the anchor, on SQLite too (a rowid would restart at 1): checkpoints are keyed by seq
        assert await append(connection, QUERY_LOG, [QUERY_ENTRY, {**QUERY_ENTRY, "request_id": "req-2"}]) == [42, 43]
    logged = await _rows(empty_logs, QUERY_LOG)
    assert [(r.seq, r.request_id) for r in logged] == [(42, "req-1"), (43, "req-2")]
    assert logged[0].duration_ms == 1.234 and logged[0].prev_hash == anchor
    assert verify("query_log", logged, start_hash=anchor, first_seq=41) == (2, None)
    async with empty_logs.begin() as connection:
        assert await append(connection, QUERY_LOG, [QUERY_ENTRY]) == [44]


async def test_concurrent_appends_wait_for_each_other_and_form_one_chain(empty_logs):
    """Appends on several connections at once: each takes the chain's lock before reading its head,
    so none fails for a lost race and none links to a head another one has just replaced."""
    async def submit(n: int) -> list[int]:
        async with empty_logs.begin() as connection:
            return await append(connection, SUBMISSION_LOG, [{**SUBMISSION_ENTRY, "action": f"A{n}-{i}"}
                                                             for i in range(3)])

    seqs = await asyncio.gather(*[submit(n) for n in range(8)])
    async with empty_logs.connect() as connection:  # the lock on SQLite rewrites the profile row as it is
        assert (await connection.execute(select(Setting.value).where(Setting.key == "profile"))).scalar() == "huancui"
    rows = await _rows(empty_logs, SUBMISSION_LOG)
    assert sorted(s for batch in seqs for s in batch) == [r.seq for r in rows] and len(rows) == 24
    assert verify("submission_log", rows) == (24, None)
    for batch in seqs:  # a batch's entries stay together, in order
        assert batch == list(range(batch[0], batch[0] + 3))


async def test_the_readiness_write_probe_needs_the_profile_row(empty_logs):
    """probe_writable (/readyz): a real write that succeeds on an initialised database, and names the
    fault when the database was never initialised (no profile row) instead of passing."""
    from sqlalchemy import delete

    from store.chain import probe_writable

    profile = select(Setting.value).where(Setting.key == "profile")
    async with empty_logs.begin() as connection:
        await connection.run_sync(probe_writable)
        assert (await connection.execute(profile)).scalar() == "huancui"  # rewritten as it was, not changed
        await connection.execute(delete(Setting).where(Setting.key == "profile"))
        with pytest.raises(RuntimeError, match="not initialised"):
            await connection.run_sync(probe_writable)
        await connection.rollback()


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


def test_the_key_files_modes_do_not_depend_on_the_umask_and_a_readable_key_is_reported(tmp_path, caplog):
    """Mutants of load_or_create_key and CheckpointSink: directories made as deep as needed, the
    public half readable by verifiers (0644) even under a strict umask, the checkpoint files 0644
    under an open one, and a key others can read named in the operator's log."""
    import os

    old = os.umask(0o077)
    try:
        key_path = tmp_path / "a" / "b" / "log-checkpoint-key"
        load_or_create_key(key_path)
        assert oct(public_key_path(key_path).stat().st_mode & 0o777) == "0o644"
    finally:
        os.umask(old)
    old = os.umask(0)
    try:
        sink = CheckpointSink(tmp_path / "c" / "d" / "log-checkpoints", load_or_create_key(key_path))
        sink.write("query_log", 1, "a" * 64)
        assert oct((tmp_path / "c" / "d" / "log-checkpoints" / "query_log.jsonl").stat().st_mode & 0o777) == "0o644"
        # the gateway restarted (or a second worker): the same folder, appended to
        CheckpointSink(tmp_path / "c" / "d" / "log-checkpoints", sink.key).write("query_log", 2, "b" * 64)
        assert len((tmp_path / "c" / "d" / "log-checkpoints" / "query_log.jsonl").read_text().splitlines()) == 2
    finally:
        os.umask(old)
    assert not [r for r in caplog.records if "readable by other users" in r.getMessage()]
    key_path.chmod(0o640)
    load_or_create_key(key_path)
    assert [r.levelname for r in caplog.records if "readable by other users" in r.getMessage()] == ["WARNING"]


def test_an_encrypted_key_is_named_as_such(tmp_path):
    """Mutant of the exceptions caught when reading the key: a passphrase-protected PEM raises
    TypeError in cryptography, and must be reported like any other unusable key."""
    from cryptography.hazmat.primitives import serialization

    key_path = tmp_path / "log-checkpoint-key"
    key_path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    key_path.chmod(0o600)
    with pytest.raises(ValueError, match="does not hold an unencrypted PEM private key"):
        load_or_create_key(key_path)


def test_each_checkpoint_line_is_on_disk_when_write_returns_and_no_file_is_left_open(tmp_path, monkeypatch):
    """Mutants dropping os.fsync or os.close in CheckpointSink.write: the line is flushed to disk
    before the writer goes on (a crash right after must not lose a signed head), and a gateway that
    signs every 10 seconds for months does not run out of file descriptors."""
    import os

    sink = CheckpointSink(tmp_path / "log-checkpoints", Ed25519PrivateKey.generate())
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    before = len(os.listdir("/proc/self/fd"))
    for seq in range(1, 51):
        sink.write("query_log", seq, "a" * 64)
    assert len(os.listdir("/proc/self/fd")) <= before
    assert synced == [str(tmp_path / "log-checkpoints" / "query_log.jsonl")] * 50


def test_what_a_checkpoint_signs_is_the_format_earlier_releases_signed():
    """A known answer: checkpoint files outlive releases, so the signed bytes (context line, sorted
    keys, compact separators, every field) must not change, or every stored checkpoint stops verifying."""
    checkpoint = Checkpoint("query_log", "head", 5, "a" * 64, "2026-11-20T02:00:00.000000+00:00", "0123456789abcdef")
    assert checkpoint.signed_bytes() == (
        b"credit-gateway log checkpoint v1\n"
        b'{"at":"2026-11-20T02:00:00.000000+00:00","hash":"' + b"a" * 64 +
        b'","key":"0123456789abcdef","kind":"head","seq":5,"table":"query_log"}')


def test_malformed_unknown_kind_and_undecodable_lines_are_named_not_trusted(tmp_path):
    """Mutants of read_checkpoints: a JSON array, an object without fields, bytes that are not
    UTF-8, a signature with characters outside base64 (not silently dropped, which would let an
    edited line verify) and a signed line of an unknown kind: each a bad line, named."""
    import json

    directory = tmp_path / "log-checkpoints"
    sink = CheckpointSink(directory, Ed25519PrivateKey.generate())
    keys = {sink.key_id: sink.key.public_key()}
    sink.write("query_log", 1, "a" * 64)
    sink.write("query_log", 2, "b" * 64, kind="rumour")
    path = directory / "query_log.jsonl"
    good_line, rumour = path.read_text().splitlines()
    raw = json.loads(good_line)
    padded = json.dumps({**raw, "signature": "!" + raw["signature"]})
    path.write_bytes(b"\n".join([b"[1, 2]", b"{}", b"\xff\xfe{", padded.encode(), rumour.encode(),
                                 good_line.encode()]) + b"\n")
    good, bad = read_checkpoints(directory, "query_log", keys)
    assert [c.line for c in good] == [6]
    assert [b.line for b in bad] == [1, 2, 3, 4, 5]
    assert [b.message.split(" ", 1)[1] for b in bad[:4]] == ["is not a checkpoint line"] * 4
    assert bad[4].message == f"{path}:5 is a checkpoint of query_log (rumour), not of query_log"


# ---- gateway/log_checkpoints.py: which heads are signed, and when -------------------------------

class RecordingSink:
    """Stands in for CheckpointSink: keeps what would be signed."""

    def __init__(self):
        self.written = []

    def write(self, table, seq, entry_hash, kind="head", now=None):
        self.written.append((table, seq, entry_hash))


async def test_heads_are_signed_every_n_entries_at_most_once_and_never_backwards(empty_logs, caplog):
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
    seq = rows["query_log"].seq  # the database ends before what this process committed: the operator is told
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records if "chain ends at" in r.getMessage()] == [
        ("gateway.log_checkpoints", "ERROR", f"the query_log chain ends at entry {seq} in the database, but this "
                                             f"process committed entry {seq + 5}: entries were deleted (run verify-log)")]
    sink3 = RecordingSink()
    third = LogCheckpoints(sink3, CheckpointPolicy(every_entries=1000, every_seconds=3600))
    await third.start(empty_logs)
    await third.close()
    assert sorted(sink3.written) == [("query_log", rows["query_log"].seq, rows["query_log"].entry_hash),
                                     ("submission_log", rows["submission_log"].seq, rows["submission_log"].entry_hash)]


class FailingOnceSink(RecordingSink):
    """A checkpoint directory that refuses the first write (a full disk for a moment)."""

    def __init__(self):
        super().__init__()
        self.failures = 0

    def write(self, table, seq, entry_hash, kind="head", now=None):
        if not self.failures:
            self.failures += 1
            raise OSError("No space left on device")
        super().write(table, seq, entry_hash, kind, now)


async def _until(predicate, seconds=5.0):
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in time")


async def test_the_ticker_signs_moved_heads_every_period_retries_after_a_failure_and_stops_at_close(
        empty_logs, caplog):
    """Mutants of start/_tick/close: the ticker runs from start (not only the shutdown checkpoint),
    a failed write is logged and tried again at the next tick, and after close nothing is signed."""
    sink = FailingOnceSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=1000, every_seconds=0.01))
    await checkpoints.start(empty_logs)
    async with empty_logs.begin() as connection:
        await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
    await _until(lambda: sink.written)  # signed by the ticker, after its first write failed
    assert [t for t, _, _ in sink.written] == ["submission_log"] and sink.failures == 1
    failed = [r for r in caplog.records if "log checkpoint failed" in r.getMessage()]
    assert failed and failed[0].name == "gateway.log_checkpoints" and failed[0].levelname == "ERROR"
    await checkpoints.close()
    async with empty_logs.begin() as connection:  # a head that moves after close: no ticker left to sign it
        await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
    await asyncio.sleep(0.1)
    assert len(sink.written) == 1


async def test_a_head_that_went_back_raises_the_alarm_and_an_unchanged_one_does_not(empty_logs, caplog):
    """Mutants of _sign's and _newer's comparisons (`<` / `<=`, `>` / `>=`) and of the logger's name:
    a head at the same entry as the last one signed is no alarm; one before it is, in the operator's
    log under gateway.log_checkpoints, and it is not signed over."""
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=1000, every_seconds=3600))
    async with empty_logs.begin() as connection:
        await append_submission_log(connection, user="u", department="FY", action="SUBMIT")
        await append(connection, QUERY_LOG, [QUERY_ENTRY, QUERY_ENTRY])
    head = (await _rows(empty_logs, QUERY_LOG))[-1]
    await checkpoints.start(empty_logs)
    checkpoints.note("query_log", head.seq, head.entry_hash, 2)  # what this process committed: the same head
    await checkpoints.checkpoint_now()
    assert ("query_log", head.seq, head.entry_hash) in sink.written
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
    # the same entry signed with another hash (the chain rewritten from there): signed, so that
    # verify-log finds the earlier checkpoint's hash no longer in the chain; no "went back" alarm
    await checkpoints._sign("query_log", (head.seq, "f" * 64))
    assert sink.written[-1] == ("query_log", head.seq, "f" * 64)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
    await checkpoints._sign("query_log", (head.seq - 1, "e" * 64))
    assert sink.written[-1] == ("query_log", head.seq, "f" * 64)
    alarms = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [(r.name, r.getMessage()) for r in alarms] == [(
        "gateway.log_checkpoints", f"the query_log chain's head went back from entry {head.seq} to {head.seq - 1}: "
                                   "entries were deleted from the database (run verify-log)")]
    await checkpoints.close()


async def test_signing_every_n_entries_signs_at_exactly_n_and_keeps_no_finished_task():
    """Mutants of note(): the N-th entry since the last checkpoint signs (not the N+1-th), and a
    finished signing task is let go (a gateway running for months would otherwise keep one per
    checkpoint)."""
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=2, every_seconds=3600))
    checkpoints.note("query_log", 1, "h1", 1)
    checkpoints.note("query_log", 2, "h2", 1)
    await asyncio.gather(*checkpoints._pending)
    assert sink.written == [("query_log", 2, "h2")]
    for seq in range(3, 13):
        checkpoints.note("query_log", seq, f"h{seq}", 1)
        await asyncio.sleep(0)
    await _until(lambda: not checkpoints._pending)
    assert [s for _, s, _ in sink.written] == [2, 4, 6, 8, 10, 12]


async def test_close_waits_for_the_signing_under_way_and_a_failed_one_does_not_stop_the_shutdown_checkpoint(caplog):
    """Mutants of close(): the checkpoints already due are signed before the shutdown one (not after
    it, where they would look like the head going back), and one that failed does not keep close
    from signing the final heads."""
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=2, every_seconds=3600))
    checkpoints.note("query_log", 1, "h1", 1)
    checkpoints.note("query_log", 2, "h2", 1)  # due: signing is under way
    checkpoints.note("query_log", 3, "h3", 1)
    await checkpoints.close()
    assert sink.written == [("query_log", 2, "h2"), ("query_log", 3, "h3")]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

    failing = FailingOnceSink()
    checkpoints = LogCheckpoints(failing, CheckpointPolicy(every_entries=1, every_seconds=3600))
    checkpoints.note("submission_log", 7, "h7", 1)  # its signing fails (the disk was full for a moment)
    await checkpoints.close()
    assert failing.failures == 1 and failing.written == [("submission_log", 7, "h7")]


async def test_a_database_that_cannot_be_read_still_gets_this_processs_heads_signed(tmp_path, caplog):
    """Mutants of checkpoint_now's fallback: the database is gone (its folder removed), so the heads
    this process committed are signed, and the operator's log says why."""
    from store.engine import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'gateway.sqlite3'}")
    sink = RecordingSink()
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=1000, every_seconds=3600))
    await checkpoints.start(engine)
    checkpoints.note("query_log", 9, "h9", 1)
    await checkpoints.close()
    await engine.dispose()
    assert sink.written == [("query_log", 9, "h9")]
    assert [(r.name, r.levelname) for r in caplog.records if "cannot read the chains' heads" in r.getMessage()] == [
        ("gateway.log_checkpoints", "WARNING")]
