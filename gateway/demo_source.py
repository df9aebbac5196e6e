"""`serve --demo-source`: the demo licensing source beside the gateway, admitted, so GraphiQL shows a
joined query out of the box (issue 18).

The source runs as a child process (`python -m demo.licensing_source`) on its own port, answering only
calls signed with the key in the data folder (`licensing-source.key`). The first start admits it as
source `licensing` with that key, its `licences` bound to the organisations' licence item; later starts
reuse the admitted key. Nothing here stops the gateway: a busy port, a source that will not start or an
admission refused is one line on standard error, and the source's fields then answer SOURCE_UNAVAILABLE.
Stopping the gateway stops the source (and, on Linux, so does the gateway's death).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from gateway.settings import Settings

NAME = "licensing"
ITEM = "HC-10-2-LICENCE"  # the organisations' administrative licences: PUBLIC, like the register the bureau keeps
KEY_FILE = "licensing-source.key"
START_SECONDS = 20.0


def _say(message: str) -> None:
    print(f"credit-gateway: demo source: {message}", file=sys.stderr, flush=True)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the source gets SIGTERM when the gateway's process ends, however it ends."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


async def _admitted(engine):
    from store.sources import admitted

    stored, _ = await admitted(engine)
    return next((s for s in stored if s.name == NAME), None)


class DemoSource:
    """The demo source's child process and its admission; `stop()` ends the process."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings, self.port = settings, port
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.key_file = Path(settings.data_dir) / KEY_FILE
        self.process: subprocess.Popen | None = None

    def _key(self, admitted_key: str | None) -> str:
        """The admitted source's key (written to the key file the source reads), else the file's, else new."""
        key = admitted_key
        if key is None and self.key_file.exists():
            key = self.key_file.read_text(encoding="utf-8").strip() or None
        key = key or secrets.token_urlsafe(32)
        if not self.key_file.exists() or self.key_file.read_text(encoding="utf-8").strip() != key:
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            self.key_file.write_text(key + "\n", encoding="utf-8")
            self.key_file.chmod(0o600)
        return key

    def _start(self) -> bool:
        """Start the source on its port; whether something answers there (this source or an earlier one)."""
        if not _port_free(self.port):
            _say(f"port {self.port} is in use: not started (its fields answer SOURCE_UNAVAILABLE unless what "
                 "listens there is this data folder's demo source)")
            return False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "demo.licensing_source", "--port", str(self.port), "--key-file", str(self.key_file)],
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None, env={**os.environ})
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                _say(f"exited with {self.process.returncode}; the gateway serves without it")
                self.process = None
                return False
            if _listening(self.port):
                return True
            time.sleep(0.1)
        _say(f"did not listen on port {self.port} in {START_SECONDS:.0f} s; the gateway serves without it")
        return False

    async def prepare(self, engine) -> None:
        """Start the source and admit it on first start (called before the gateway serves)."""
        from domain.catalogue import load_profile
        from resolvers.sources import SourceProblems, admit_source
        from schema.remote_fields import gateway_names

        stored = await _admitted(engine)
        if stored is not None and stored.url != self.url:
            _say(f"source {NAME} is admitted at {stored.url}, not {self.url}: not started (remove it with "
                 f"`credit-gateway sources remove {NAME}` to let serve admit the demo source)")
            return
        key = self._key(stored.signing_key if stored is not None else None)
        answering = self._start()
        if stored is not None or not answering:
            return
        try:
            admission = await admit_source(engine, load_profile(self.settings.profile), gateway_names(), name=NAME,
                                           url=self.url, items=[ITEM], user="serve:demo-source", signing_key=key)
        except SourceProblems as refused:
            _say(f"not admitted: {refused}")
            return
        fields = ", ".join(sorted(admission.source.fields))
        print(f"demo source {NAME} admitted at {self.url}: Subject.{fields} ({ITEM})", flush=True)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
