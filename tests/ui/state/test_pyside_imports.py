"""PySide's import hook does not read the source of every module of torch (issue 16: ≈ 110
ms more of the interpreter lock during the first run's import of torch)."""

from __future__ import annotations

import importlib.util
import sys

import PySide6.QtWidgets  # noqa: F401 - installs PySide's import hook

from explorer.ui.state.pyside_imports import skip_pyside_source_scan


def _module(tmp_path, name: str):
    path = tmp_path / f"{name.replace('.', '_')}.py"
    path.write_text("# uses PySide6\nVALUE = 1\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_modules_of_skipped_packages_are_not_scanned(tmp_path):
    assert skip_pyside_source_scan()
    assert skip_pyside_source_scan(["mypkg"])  # a second call adds packages
    scan = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    # the same source: scanned (mentions PySide6) unless its package is skipped
    assert scan(_module(tmp_path, "elsewhere.mod")) is True
    assert scan(_module(tmp_path, "torch.fake_mod")) is False
    assert scan(_module(tmp_path, "mypkg.fake_mod")) is False
