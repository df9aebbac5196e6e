"""`make mutation`: mutation testing of the access and log code (issue 12), one module at a time.

Why a purpose-built runner rather than mutmut 3 or cosmic-ray: mutmut 3 rewrites every function of
a copied tree into trampolines (strawberry and SQLAlchemy inspect our functions' signatures, and
the tests that start a real server import the original tree), and cosmic-ray needs a session
database and a full test run per mutant. Here each mutant is one changed AST node of one module;
the parent process imports pytest and the third-party libraries once, then forks a child per
mutant that serves the mutated module from memory (an import hook: the tree on disk is never
changed) and runs the module's covering tests (tests/mutation_targets.toml) on SQLite with `-x`.
A mutant is killed when those tests fail, error or time out; it survives when they pass.

Operators (the kinds of change that open wrong access or weaken a log): comparisons flipped
(== !=, < <=, > >=, in / not in, is / is not), `and` <-> `or`, `not` dropped, True <-> False,
numbers +1, word-like strings emptied (role names, columns, bases; not docstrings or messages), `return x` -> `return None`,
one element dropped from a literal list/tuple/set, a call statement dropped, `+` <-> `-`.

    python -m tests.mutation [--jobs 2] [--module resolvers/scope.py ...] [--list]
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.abc
import importlib.util
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "tests" / "mutation_targets.toml"

FLIP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
    ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
WORD = re.compile(r"[A-Za-z_][\w:.-]{0,39}")  # role names, column names, bases, conditions: not prose
MESSAGE_CALLS = {"Problem", "Forbidden", "BadRequest", "ValueError", "LookupError"}  # their words: no rule
SILENT_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}  # logging: no behaviour


@dataclass(frozen=True)
class Mutant:
    index: int  # position in the module's list: the same source always gives the same list
    line: int
    change: str  # "before -> after", as the survivor list and MUTATION.md show it
    end_line: int = 0  # the changed node's last line (test selection)
    code: str = ""  # the text of the changed node's first line, stripped: what an equivalent is keyed by
    nth: int = 1  # which line of the module with that text (identical lines: `return not_found(record_id)`)

    @property
    def key(self) -> str:
        return f"{self.line}: {self.change}"

    def entry(self) -> str:
        """This mutant as an `equivalent` entry of tests/mutation_targets.toml (a TOML inline table;
        JSON's string escapes are TOML's basic-string escapes)."""
        nth = f", nth = {self.nth}" if self.nth > 1 else ""
        return (f"{{ line = {self.line}, code = {json.dumps(self.code, ensure_ascii=False)}{nth}, "
                f"change = {json.dumps(self.change, ensure_ascii=False)}, why = \"\" }}")


@dataclass(frozen=True)
class Equivalent:
    """A survivor judged equivalent. Keyed by what does not move when lines are added above it: the
    source line's text (the `nth` line with that text, for identical lines) and the change; `line` is
    where it was when judged, for the reader and the stale-entry message only."""

    code: str
    change: str
    line: int
    nth: int = 1
    why: str = ""

    @classmethod
    def parse(cls, module: str, entry) -> "Equivalent":
        if not isinstance(entry, dict) or not {"code", "change", "line"} <= entry.keys():
            raise SystemExit(f"{module}: equivalent entry {entry!r} must be a table with code, change and line "
                             "(print them with --list); entries keyed by line alone went stale when lines moved")
        return cls(" ".join(entry["code"].split()), entry["change"], int(entry["line"]), int(entry.get("nth", 1)),
                   entry.get("why", ""))


def judged(mutants: list[Mutant], entries: list[Equivalent]) -> tuple[dict[int, Equivalent], list[Equivalent]]:
    """({mutant index: its equivalent entry}, entries that match no mutant). An entry matches every mutant
    with its change on the nth line with its text (a line may hold the same change twice, e.g. two
    `False`s), wherever that line has moved. A stale entry is reported, never silently dropped: the
    code it judged has changed, so it must be judged again."""
    matched: dict[int, Equivalent] = {}
    stale = []
    for entry in entries:
        hits = [m for m in mutants if (m.code, m.nth, m.change) == (entry.code, entry.nth, entry.change)]
        matched.update((m.index, entry) for m in hits)
        if not hits:
            stale.append(entry)
    return matched, stale


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def _skipped_ids(tree: ast.Module) -> set[int]:
    """Nodes no mutant touches: docstrings, annotations, error and log messages, `__all__`."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                mark(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for arg in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                mark(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            mark(node.slice)  # frozenset[tuple[str, str]]: a type, not a value
        if isinstance(node, ast.Raise):  # the message wording is not a rule; the exception type is
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Constant, ast.JoinedStr)):
                    mark(sub)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in SILENT_CALLS:
            mark(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MESSAGE_CALLS:
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Constant, ast.JoinedStr)) and isinstance(getattr(sub, "value", ""), str):
                    mark(sub)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mark(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:  # @lru_cache(maxsize=...), @dataclass(frozen=True): no rule
                mark(decorator)
    return skip


def _mutations(node: ast.AST):
    """(replacement node, description) pairs for one node; the replacement is a fresh copy."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in FLIP:
                new = copy.deepcopy(node)
                new.ops[i] = FLIP[type(op)]()
                yield new
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield copy.deepcopy(node.operand)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield ast.Constant(not value)
        elif isinstance(value, int):
            yield ast.Constant(value + 1)
        elif isinstance(value, str) and WORD.fullmatch(value):
            yield ast.Constant("")
    elif isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        yield ast.Return(ast.Constant(None))
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) >= 2 \
            and not any(isinstance(e, ast.Starred) for e in node.elts) and isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
        for i in range(len(node.elts)):
            new = copy.deepcopy(node)
            del new.elts[i]
            yield new
    elif isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await)):
        yield ast.Pass()
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        new = copy.deepcopy(node)
        new.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        yield new


def _sites(tree: ast.Module):
    """Every (parent, field, index, node) where a node can be replaced, in source order."""
    skip = _skipped_ids(tree)
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            children = value if isinstance(value, list) else [value]
            for i, child in enumerate(children):
                if isinstance(child, ast.AST) and id(child) not in skip:
                    yield parent, field, (i if isinstance(value, list) else None), child


def mutants_of(source: str) -> list[tuple[Mutant, ast.Module]]:
    """Every mutant of a module's source, each with its mutated tree (locations kept for tracebacks)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for parent, field, index, node in _sites(tree):
        for replacement in _mutations(node):
            found.append((parent, field, index, node, replacement))
    found.sort(key=lambda f: (f[3].lineno, f[3].col_offset))
    result = []
    for n, (parent, field, index, node, replacement) in enumerate(found):
        ast.copy_location(replacement, node)
        ast.fix_missing_locations(replacement)
        change = f"{_snippet(node)} -> {_snippet(replacement)}"
        # Swap the node in, copy the whole tree, swap it back: the copy is this mutant's module.
        if index is None:
            setattr(parent, field, replacement)
        else:
            getattr(parent, field)[index] = replacement
        mutated = copy.deepcopy(tree)
        if index is None:
            setattr(parent, field, node)
        else:
            getattr(parent, field)[index] = node
        code = " ".join(lines[node.lineno - 1].split())
        nth = sum(1 for before in lines[:node.lineno - 1] if " ".join(before.split()) == code) + 1
        result.append((Mutant(n, node.lineno, change, getattr(node, "end_lineno", None) or node.lineno, code, nth),
                       mutated))
    return result


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves one module's mutated code in place of the file on disk (in the forked child only)."""

    def __init__(self, name: str, path: Path, code):
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.name:
            return importlib.util.spec_from_loader(fullname, self, origin=str(self.path))
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = str(self.path)
        exec(self.code, module.__dict__)


IMPORT = "<import>"  # lines run while modules load (collection): every test depends on them


class _LineRecorder:
    """A pytest plugin for the unmutated run: which tests execute each line of the target file.

    A mutant then runs only the tests that execute one of its lines (all of them for a line run at
    import). Threads are traced too: the query log writes on a thread of its own, and checkpoints are
    signed on the event loop's executor (threading.settrace covers the threads started after it, which
    in the forked child are all of them; settrace_all_threads where Python has it, 3.12+). A test that
    replaces the trace function (a tracer of its own) gets it back at the next test."""

    def __init__(self, filename: str) -> None:
        self.filename, self.current, self.lines = filename, IMPORT, {}
        sys.settrace(self._global)
        getattr(threading, "settrace_all_threads", threading.settrace)(self._global)

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename != self.filename:
            return None
        self._record(frame.f_lineno)
        return self._local

    def _local(self, frame, event, arg):
        if event == "line":
            self._record(frame.f_lineno)
        return self._local

    def _record(self, line: int) -> None:
        self.lines.setdefault(line, set()).add(self.current)

    def pytest_runtest_protocol(self, item, nextitem):
        self.current = item.nodeid
        if sys.gettrace() is None or getattr(sys.gettrace(), "__self__", None) is not self:
            sys.settrace(self._global)

    def pytest_collection_finish(self, session):
        # after every plugin's pytest_collection_modifyitems: `-k "not postgresql"` has deselected the
        # PostgreSQL cases (seen here before it, they made a survivor's second run select no test)
        self.order = [item.nodeid for item in session.items]


def _pytest_args(target: dict, basetemp: str, selected: list[str] | None = None) -> list[str]:
    args = [*(selected or target["tests"]), "-x", "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-k", target.get("k", "not postgresql"), f"--basetemp={basetemp}", "-o", "addopts="]
    for deselect in target.get("deselect", []):
        args += ["--deselect", deselect]
    return args


def _run_child(target: dict, module_name: str, code, quiet: bool = True, selected: list[str] | None = None,
               record: Path | None = None) -> int:
    """Fork; the child runs the target's tests (or `selected`) with `code` as the module; returns the
    child's pid. With `record`, the child writes which tests ran each line there (JSON)."""
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setpgid(0, 0)
        os.chdir(ROOT)
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        if code is not None:
            sys.meta_path.insert(0, _MutantFinder(module_name, ROOT / target["path"], code))
        import pytest

        plugins = [_LineRecorder(str(ROOT / target["path"]))] if record else []
        with tempfile.TemporaryDirectory(prefix="mutant-") as basetemp:
            rc = pytest.main(_pytest_args(target, basetemp, selected), plugins=plugins)
        if record:
            sys.settrace(None)
            recorder = plugins[0]
            record.write_text(json.dumps({"order": recorder.order,
                                          "lines": {str(k): sorted(v) for k, v in recorder.lines.items()}}))
        os._exit(int(rc))
    except BaseException:  # noqa: BLE001 -- a child must never return into the parent's loop
        os._exit(70)


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the child's whole group: it may have started a server
    except ProcessLookupError:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _reap(pid: int, deadline: float) -> tuple[int | None, float]:
    """Wait for a child until `deadline`; None when it had to be killed (a timeout counts as killed)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), time.monotonic()
        if time.monotonic() > deadline:
            _kill(pid)
            return None, time.monotonic()
        time.sleep(0.05)


def run_module(target: dict, jobs: int) -> tuple[int, int, list[Mutant], list[Mutant], int, int]:
    """(killed, total, survivors, equivalent survivors, killed by timeout) for one module. A timeout
    counts as killed (a mutant that loops forever is caught), and is printed so a reader can tell a
    mutant that hangs from one that only met a busy machine."""
    path = ROOT / target["path"]
    module_name = target["path"].removesuffix(".py").replace("/", ".")
    source = path.read_text()
    every = mutants_of(source)
    matched, stale = judged([m for m, _ in every],
                            [Equivalent.parse(target["path"], e) for e in target.get("equivalent", [])])
    for entry in stale:
        print(f"  stale equivalent {target['path']} (line {entry.line} was `{entry.code}`): {entry.change}: "
              "no mutant matches it now; judge the line again", flush=True)
    mutants = [(m, tree) for m, tree in every if not target.get("lines") or m.line in target["lines"]]
    equivalent = {m.index for m, _ in mutants if m.index in matched}

    started = time.monotonic()
    record = Path(tempfile.mkstemp(prefix="mutation-lines-", suffix=".json")[1])
    pid = _run_child(target, module_name, None, quiet=False, record=record)
    rc, ended = _reap(pid, started + 900)
    baseline = ended - started  # traced: slower than any mutant's run
    if rc != 0:
        raise SystemExit(f"{target['path']}: its tests fail without any mutant (exit {rc}); fix them first")
    timeout = max(3 * baseline, baseline + 30)  # a busy shared machine: a whole-list re-run may take twice as long
    recorded = json.loads(record.read_text())
    record.unlink()
    order, by_line = recorded["order"], {int(k): set(v) for k, v in recorded["lines"].items()}

    def tests_for(mutant: Mutant) -> list[str] | None:
        """The tests that run the mutant's lines, in file order; None: all of them. A line no test was
        seen running is run against all of them too: module-level constants (a log's hashed columns)
        run when the module is imported, which may be before the trace starts, and are used by every test."""
        ran = set().union(*(by_line.get(n, set()) for n in range(mutant.line, mutant.end_line + 1)))
        if IMPORT in ran:
            return None
        return [t for t in order if t in ran] or None

    def the_rest(mutant: Mutant) -> list[str] | None:
        """The module's tests that the first run of the mutant left out; None: it ran them all."""
        ran = set(tests_for(mutant) or order)
        return [t for t in order if t not in ran] or None

    # (mutant, tree, whole list): a mutant that survives the tests seen running its line gets a second
    # run against the rest of the module's tests before it counts: memoised code (functools.cache,
    # first-use set-up) runs for the first test that needs it only, so the trace names that one test alone.
    pending = [(mutant, tree, False) for mutant, tree in mutants]
    running: dict[int, tuple[Mutant, object, bool, float]] = {}
    killed, survivors, finished, timeouts = 0, [], 0, 0
    while pending or running:
        while pending and len(running) < jobs:
            mutant, tree, whole = pending.pop(0)
            selected = tests_for(mutant)
            if whole:
                selected = the_rest(mutant)
            elif selected is None:
                whole = True  # the first run is already the whole list
            code = compile(tree, str(path), "exec")
            running[_run_child(target, module_name, code, selected=selected)] = (
                mutant, tree, whole, time.monotonic() + timeout)
        for pid, (mutant, tree, whole, deadline) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() <= deadline:
                continue
            if not done:
                _kill(pid)
                rc = None
                timeouts += 1
                print(f"  timed out {target['path']}:{mutant.line}  {mutant.change}  (after {timeout:.0f}s: counted killed)",
                      flush=True)
            else:
                rc = os.waitstatus_to_exitcode(status)
            del running[pid]
            if rc == 0 and not whole and mutant.index not in equivalent and the_rest(mutant):
                pending.insert(0, (mutant, tree, True))
                continue
            finished += 1
            if finished % 20 == 0:
                print(f"  {finished}/{len(mutants)} run, {time.monotonic() - started:.0f}s", flush=True)
            if rc == 0:
                survivors.append(mutant)
                print(f"  survived {target['path']}:{mutant.line}  {mutant.change}", flush=True)
            elif rc == 5:
                raise SystemExit(f"{target['path']}: no test selected; check tests/mutation_targets.toml")
            else:
                killed += 1
        time.sleep(0.05)
    survivors.sort(key=lambda m: m.index)
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") and target.get("k") != "postgresql":
        killed += _retry_on_postgresql(target, module_name, path, mutants,
                                       [m for m in survivors if m.index not in equivalent], survivors, tests_for)
    listed = [m for m in survivors if m.index in equivalent]
    return killed, len(mutants), [m for m in survivors if m.index not in equivalent], listed, timeouts, len(stale)


def _retry_on_postgresql(target: dict, module_name: str, path: Path, mutants: list, retry: list[Mutant],
                         survivors: list[Mutant], tests_for) -> int:
    """Run SQLite's survivors against the same tests' PostgreSQL cases, one at a time (their scratch
    databases are named per test): some lines run only there (advisory locks, SQLSTATE classes).
    Removes the mutants killed there from `survivors`; returns how many."""
    trees = {m.index: tree for m, tree in mutants}
    on_postgresql = {**target, "k": "postgresql"}
    if retry:
        print(f"  {len(retry)} survivor(s) on SQLite: trying the PostgreSQL cases, one at a time", flush=True)
    killed = 0
    for mutant in retry:
        selected = tests_for(mutant)  # SQLite's cases ran the line: their PostgreSQL twins, same test function
        selected = list(dict.fromkeys(t.split("[", 1)[0] for t in selected)) if selected else None
        code = compile(trees[mutant.index], str(path), "exec")
        rc, _ = _reap(_run_child(on_postgresql, module_name, code, selected=selected), time.monotonic() + 900)
        if rc in (0, 5) and selected is not None:  # then all of them: a PostgreSQL-only test skips on SQLite,
            # so the SQLite trace never names it for the line it pins
            rc, _ = _reap(_run_child(on_postgresql, module_name, code), time.monotonic() + 900)
        if rc not in (0, 5):  # 5: no PostgreSQL case among the tests: the mutant stays a survivor
            survivors.remove(mutant)
            killed += 1
            print(f"  killed on PostgreSQL {target['path']}:{mutant.line}  {mutant.change}", flush=True)
    return killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (at most 2 on a 2-core machine)")
    parser.add_argument("--module", action="append", help="only this module (path as in the targets file)")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--line", type=int, action="append", help="only the mutants of this line (checking a new test)")
    parser.add_argument("--tests", nargs="+", help="run these tests instead of the targets file's (checking a new test)")
    parser.add_argument("--postgresql", action="store_true",
                        help="run the tests' PostgreSQL cases instead of SQLite's (for lines only PostgreSQL runs, "
                             "e.g. its advisory locks); needs TEST_DATABASE_URL, and runs one mutant at a time")
    options = parser.parse_args(argv)
    if options.postgresql:
        if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
            parser.error("--postgresql needs TEST_DATABASE_URL naming a PostgreSQL database")
        options.jobs = 1  # the tests' scratch databases are named per test, not per run
    targets = tomllib.loads(TARGETS.read_text())["module"]
    if options.module:
        targets = [t for t in targets if t["path"] in options.module]
    for target in targets:
        target["lines"] = options.line
        if options.postgresql:
            target["k"] = "postgresql"
        if options.tests:
            target["tests"] = options.tests
    if options.list:  # each mutant with its entry for `equivalent`, and the stale entries
        for target in targets:
            mutants = [m for m, _ in mutants_of((ROOT / target["path"]).read_text())]
            matched, stale = judged(mutants, [Equivalent.parse(target["path"], e) for e in target.get("equivalent", [])])
            for mutant in mutants:
                if not options.line or mutant.line in options.line:
                    mark = "  (judged equivalent)" if mutant.index in matched else ""
                    print(f"{target['path']}:{mutant.line}  {mutant.change}{mark}\n    {mutant.entry()}")
            for entry in stale:
                print(f"{target['path']}: stale equivalent (line {entry.line}, `{entry.code}`): {entry.change}")
        return 0

    import pytest  # noqa: F401 -- imported once here, so every forked child starts warm
    import sqlalchemy.ext.asyncio, strawberry, starlette.applications, casbin, httpx, aiosqlite  # noqa: F401,E401

    rows, failed = [], False
    for target in targets:
        began = time.monotonic()
        print(f"{target['path']}: running its mutants against {', '.join(target['tests'])}", flush=True)
        killed, total, survivors, equivalent, timeouts, stale = run_module(target, options.jobs)
        scored = total - len(equivalent)
        rate = 100.0 * killed / scored if scored else 100.0
        failed |= rate < target.get("goal", 90) or stale > 0
        rows.append((target["path"], total, killed, len(equivalent), len(survivors), rate, time.monotonic() - began))
        print(f"{target['path']}: {killed}/{total - len(equivalent)} killed ({rate:.1f}%; {timeouts} by timeout), "
              f"{len(equivalent)} equivalent, {len(survivors)} survived, {rows[-1][-1]:.0f}s", flush=True)
        for mutant in equivalent:
            print(f"  equivalent {target['path']}:{mutant.line}  {mutant.change}")
        for mutant in survivors:  # ready to paste under `equivalent` once judged (with its reason)
            print(f"  survivor entry: {mutant.entry()}")
        if stale:
            print(f"  {stale} stale equivalent entr{'y' if stale == 1 else 'ies'}: see above")

    print(f"\n{'module':32} {'mutants':>7} {'killed':>6} {'equiv':>5} {'surv':>5} {'rate':>7} {'time':>6}")
    for path, total, killed, equiv, surv, rate, took in rows:
        print(f"{path:32} {total:7} {killed:6} {equiv:5} {surv:5} {rate:6.1f}% {took:5.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
