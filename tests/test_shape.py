"""The code keeps a shape a newcomer can read: no module over ~600 lines, no function over ~60.

Counted on the application packages (not tests, benchmarks or migrations). A big module becomes a
package split by sub-domain, a long function named steps; literal data lives in data modules
(``*/demo/content.py``), which are short too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APPS = ["prm", *settings.PRM_APPS]  # a new app is measured without anyone listing it
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            name = f"{path.relative_to(ROOT)}:{node.name}"
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name} ({length} lines)")
    return found


def test_no_module_is_over_the_size_limit():
    too_long = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, "split these by sub-domain: " + ", ".join(too_long)


def test_no_function_is_over_the_size_limit():
    too_long = [f for path in _modules() for f in _long_functions(path)]
    assert not too_long, "make these named steps: " + ", ".join(too_long)
