"""The mutation runner's own promise (tests/mutation.py, issue 12): the unmutated run records which
tests execute each line, including lines that run on other threads (the query log's writer thread,
the executor that signs checkpoints). A line recorded for no test would be run against every test
(slow, not wrong); a line recorded for the wrong tests would let a mutant survive unseen."""

from __future__ import annotations

import importlib.util
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

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
