"""The mutation runner's own promise (tests/mutation.py, issue 12): the unmutated run records which
tests execute each line, including lines that run on other threads (the query log's writer thread,
the executor that signs checkpoints). A line recorded for no test would be run against every test
(slow, not wrong); a line recorded for the wrong tests would let a mutant survive unseen."""

from __future__ import annotations

import importlib.util
import tomllib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.mutation import _LineRecorder


def test_the_line_recorder_follows_threads_and_executors(tmp_path):
    source = tmp_path / "threaded_probe.py"
    source.write_text("def on_a_thread():\n    value = 1\n    return value\n\n\n"
                      "def in_an_executor():\n    value = 2\n    return value\n")
    spec = importlib.util.spec_from_file_location("threaded_probe", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    before, before_threads = sys.gettrace(), threading.gettrace()
    recorder = _LineRecorder(str(source))
    try:
        recorder.current = "tests/x.py::test_one"
        thread = threading.Thread(target=module.on_a_thread)
        thread.start()
        thread.join()
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(module.in_an_executor).result() == 2
    finally:
        sys.settrace(before)
        threading.settrace(before_threads)
    assert {line: tests for line, tests in recorder.lines.items() if line in (2, 3, 7, 8)} == {
        2: {"tests/x.py::test_one"}, 3: {"tests/x.py::test_one"}, 7: {"tests/x.py::test_one"},
        8: {"tests/x.py::test_one"}}


def test_an_equivalent_follows_its_line_when_lines_move_and_a_changed_line_is_reported_stale():
    from tests.mutation import Equivalent, judged, mutants_of

    before = ("def explain(record, policies):\n"
              "    if policies is None:\n"
              "        return not_found(record)\n"
              "    if record is None:\n"
              "        return not_found(record)\n"
              "    return True\n")
    mutants = [m for m, _ in mutants_of(before)]
    second = next(m for m in mutants if m.line == 5 and m.change.endswith("-> return None"))
    assert (second.code, second.nth) == ("return not_found(record)", 2)
    entry = Equivalent.parse("probe.py", tomllib.loads(f"e = [{second.entry()}]")["e"][0])

    # three lines added above: the same mutant, by its text and which of the identical lines it is
    after = "import os\n\n\n" + before
    moved = [m for m, _ in mutants_of(after)]
    matched, stale = judged(moved, [entry])
    assert [(m.line, m.change) for m in moved if m.index in matched] == [(8, second.change)] and not stale

    # the judged line changed: the entry matches nothing and is reported, not silently dropped
    edited = [m for m, _ in mutants_of(after.replace("return not_found(record)\n    return", "return None\n    return"))]
    matched, stale = judged(edited, [entry])
    assert not matched and stale == [entry]


def test_an_equivalent_keyed_by_line_alone_is_refused_with_how_to_rekey_it():
    from tests.mutation import Equivalent

    with pytest.raises(SystemExit, match="code, change and line"):
        Equivalent.parse("probe.py", "217: False -> True")
