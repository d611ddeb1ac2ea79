"""Modules the GUI thread needs for edits and selections are imported with the window, not
on first use: a first import in a slot is a stall of its own (30 ms for weight_fit, more
on a busy machine, where a worker importing torch holds the interpreter lock meanwhile)."""

from __future__ import annotations

import subprocess
import sys

_CODE = """
import sys
import explorer.ui.window.main_window  # the window's module and what it imports
from explorer.ui.tools.weights import layer_checks
from explorer.ui.tools import wiring_view
for name in ("explorer.core.model.weight_fit", "explorer.core.model.channel_names", "numpy.ma"):
    assert name in sys.modules, name
print("ok")
"""


def test_edit_and_selection_modules_come_with_the_window():
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
