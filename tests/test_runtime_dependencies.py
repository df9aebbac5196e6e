"""What the running service imports is installed by `make serve`: every third-party module the
service's packages import belongs to a runtime dependency of pyproject.toml (or to one of theirs),
never only to the test extra. (A fresh `make serve` once failed on `import httpx`, which only the
tests installed.)"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SERVICE_PACKAGES = ("gateway", "schema", "resolvers", "policies", "store", "domain", "ingest")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_closure() -> set[str]:
    """The runtime dependencies and, transitively, theirs (with the extras asked for)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    seen: set[tuple[str, str]] = set()
    todo = [(Requirement(r), "") for r in declared]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = _canonical(requirement.name)
        for wanted in ("", *sorted(requirement.extras)):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            try:
                requires = metadata.requires(name) or []
            except metadata.PackageNotFoundError:
                continue
            todo += [(Requirement(r), wanted) for r in requires]
    return {name for name, _ in seen}


def _imported_modules() -> dict[str, str]:
    """Top-level third-party modules imported anywhere in the service, with one file that does."""
    found: dict[str, str] = {}
    for package in SERVICE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in SERVICE_PACKAGES:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_module_the_service_imports_is_a_runtime_dependency():
    closure = _runtime_closure()
    distributions = metadata.packages_distributions()
    missing = {}
    for module, where in _imported_modules().items():
        owners = {_canonical(d) for d in distributions.get(module, [])}
        if not owners & closure:
            missing[module] = (where, sorted(owners) or ["not installed"])
    assert not missing, f"imported by the service but not a runtime dependency in pyproject.toml: {missing}"
