"""The import rules of the design card: actions never load spaCy; nothing imports the bot runtime."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_action_server_never_loads_spacy():
    modules = sorted(f"actions.{path.stem}" for path in (REPO_ROOT / "actions").glob("*.py")
                     if path.stem != "__init__")
    assert len(modules) >= 5
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        "print(sorted(m for m in sys.modules if m == 'spacy' or m.startswith('spacy.')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_imports_the_bot_runtime():
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for folder in ("actions", "analytics")
        for path in (REPO_ROOT / folder).rglob("*.py")
        for name in imported_modules(path)
        if name == "bot" or name.startswith("bot.")
    ]
    assert offenders == []
