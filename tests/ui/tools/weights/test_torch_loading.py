"""The weight tools never import torch on the GUI thread while another thread imports it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from explorer.ui.tools.weights.layer_checks import torch_loading

    assert "torch" not in sys.modules
    assert not torch_loading()  # nobody imports it
    release, waiting = threading.Event(), threading.Event()

    class Gate:  # what the preload's gate does: holds "import torch" before the module exists
        def find_spec(self, name, path=None, target=None):
            if name == "torch":
                waiting.set()
                release.wait(30)
            return None

    sys.meta_path.insert(0, Gate())
    thread = threading.Thread(target=lambda: __import__("torch"), daemon=True)
    thread.start()
    waiting.wait(30)
    assert "torch" not in sys.modules
    print("held", torch_loading())
    release.set()
    thread.join(60)
    print("done", torch_loading())
    """
)


def test_an_import_of_torch_waiting_at_the_gate_counts_as_loading():
    """Before: torch_loading() looked only at modules in ``sys.modules``; an ``import torch``
    held at the preload's gate (module lock taken, no module yet) read as "not loading", and
    the GUI thread's import then waited a second for it."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split("\n")
    assert out[:2] == ["held True", "done False"], out
