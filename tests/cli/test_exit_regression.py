"""PySide6 6.12.0 aborts at interpreter exit on Python 3.11 ('Fatal Python error:
bool_dealloc') once ~30 pyqtgraph ViewBoxes have existed; pyproject excludes that version.
These tests catch a return of the crash with whatever PySide6 is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, version

import pytest

N_VIEWBOXES = 64

SCRIPT = textwrap.dedent(
    f"""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    win = pg.GraphicsLayoutWidget()
    rng = np.random.default_rng(0)
    for i in range({N_VIEWBOXES}):
        view = win.addViewBox(row=i // 8, col=i % 8)
        view.addItem(pg.ImageItem(rng.random((16, 16), dtype=np.float32)))
    win.resize(800, 800)
    win.show()
    for _ in range(5):
        app.processEvents()
    n = sum(isinstance(item, pg.ViewBox) for item in win.ci.items)
    print("viewboxes", n)
    win.close()
    app.processEvents()
    """
)


@pytest.mark.slow
def test_many_viewboxes_exit_cleanly() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Fatal Python error" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, f"exit code {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.split() == ["viewboxes", str(N_VIEWBOXES)]


def test_pyside6_is_not_the_broken_release() -> None:
    installed = {}
    for dist in ("PySide6", "PySide6-Essentials", "shiboken6"):
        try:
            installed[dist] = version(dist)
        except PackageNotFoundError:  # not installed under that distribution name
            continue
    import PySide6

    installed["PySide6.__version__"] = PySide6.__version__
    assert "6.12.0" not in installed.values(), f"broken PySide6 release installed: {installed}"
