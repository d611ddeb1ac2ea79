"""Guard tests for the shape of the code: the core never imports Qt, modules stay small."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explorer"
CORE = PACKAGE / "core"
FORBIDDEN_IN_CORE = ("PySide6", "pyqtgraph", "superqt", "shiboken6", "explorer.ui", "explorer.cli")
MAX_LINES = 500


def _imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module a file imports (absolute names; relative imports resolved), with
    imports inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from explorer import ui` imports the subpackage too
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IN_CORE)


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    lint = str(exe) if exe.exists() else shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_imports_no_qt_or_ui() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert files, "explorer/core has no modules"
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in files
        for line, module in _imported_modules(path)
        if _forbidden(module)
    ]
    assert not offences, "\n".join(offences)


def test_scan_catches_forbidden_imports(tmp_path: Path) -> None:
    """The scan above must be able to fail: plant each kind of import and see it found."""
    core = tmp_path / "explorer" / "core"
    core.mkdir(parents=True)
    bad = core / "bad.py"
    for source in (
        "import PySide6.QtWidgets",
        "from pyqtgraph import ImageItem",
        "from ..ui import feature_grid",
        "from .. import ui",
        "def f():\n    import superqt\n",
    ):
        bad.write_text(source + "\n", encoding="utf-8")
        assert any(_forbidden(m) for _, m in _imported_modules(bad, tmp_path)), source
    bad.write_text("from .specs import KINDS\nimport numpy\n", encoding="utf-8")
    assert not any(_forbidden(m) for _, m in _imported_modules(bad, tmp_path))


def test_modules_are_small() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


MAX_FOLDER_MODULES = 16


def test_no_folder_holds_more_than_16_modules() -> None:
    """Issue 10: folders that show the architecture, none wider than 16 modules."""
    counts: dict[str, int] = {}
    for path in PACKAGE.rglob("*.py"):
        folder = str(path.parent.relative_to(ROOT))
        counts[folder] = counts.get(folder, 0) + 1
    wide = {folder: n for folder, n in counts.items() if n > MAX_FOLDER_MODULES}
    assert not wide, f"folders with more than {MAX_FOLDER_MODULES} modules: {wide}"


def test_cli_imports_nothing_heavy() -> None:
    """`conv-explorer stats` must start fast: importing the cli loads no torch and no Qt."""
    code = (
        "import sys, explorer.cli; "
        "heavy = [m for m in ('torch', 'PySide6', 'pyqtgraph', 'superqt') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"explorer.cli imports {proc.stdout.strip()} at start"
