"""The weight tools never import torch on the GUI thread while another thread imports it."""

from __future__ import annotations

import os
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


WINDOW_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from explorer.core.io.scene import Scene
    from explorer.core.model.document import SceneDocument
    from explorer.core.model.specs import default_spec
    from explorer.ui.window.first_paint import first_run_after_first_paint
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.main_window import MainWindow

    scene = Scene(layers=(default_spec("standard", out_channels=8), default_spec("depthwise")))
    settings = AppSettings(make_qsettings(sys.argv[1] + "/s.ini"))
    win = MainWindow(SceneDocument(scene), settings, autosave=False)
    first_run_after_first_paint(win)
    win.resize(800, 600)
    win.show()  # not painted yet: the preload has not started
    win.document.select(1)
    tools = win.tools["weight_tools"]
    first = tools.edit_table()
    checkpoint = tools.open_import_dialog(sys.argv[1] + "/missing.pt")
    print("before", "torch" in sys.modules, first is None and checkpoint is None)
    end = time.monotonic() + 90
    while "torch" not in sys.modules and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    from explorer.ui.state.torch_preload import wait_for_torch_preload
    wait_for_torch_preload(60)
    while time.monotonic() < end and tools.edit_table() is None:
        app.processEvents()
        time.sleep(0.05)
    print("after", "torch" in sys.modules, time.monotonic() < end)
    win.close()
    """
)


def test_edit_weights_before_the_first_paint_does_not_import_torch(tmp_path):
    """Before: the monkey's first action (Edit Weights…, right after ``show()``, before the
    first paint started the torch preload) found no preload and no import in flight, and
    the GUI thread imported torch itself: ≈ 1 s frozen (monkey seed 6). Now it says
    PyTorch is still loading; once loaded, the table opens. The same for Import Weights
    from Checkpoint… (its reading imports torch)."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", WINDOW_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.split("\n")
    assert out[:2] == ["before False True", "after True True"], (out, proc.stderr[-2000:])
