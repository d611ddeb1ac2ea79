"""Start-up order: the window is painted first, then the first run (which imports torch)
starts; the heavy libraries are not imported by the window's modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from explorer.ui.window.first_paint import after_first_paint, first_run_after_first_paint

ROOT = Path(__file__).resolve().parents[3]

#: Not imported before the first paint (the worker imports torch; the rest on first use).
HEAVY = ("torch", "scipy", "onnx", "onnxruntime", "matplotlib", "fvcore", "thop", "ptflops")


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )


def _python(code: str, tmp_path: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_after_first_paint_calls_back_once_after_the_paint(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = []
    after_first_paint(widget, lambda: calls.append(widget.isVisible()), fallback_ms=60000)
    qtbot.wait(50)
    assert calls == []  # not shown, not painted: nothing yet
    widget.show()
    qtbot.waitUntil(lambda: calls == [True], timeout=5000)
    widget.update()
    qtbot.wait(50)
    assert calls == [True]


def test_after_first_paint_falls_back_when_nothing_is_painted(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = []
    after_first_paint(widget, lambda: calls.append(1), fallback_ms=30)
    qtbot.waitUntil(lambda: calls == [1], timeout=5000)
    qtbot.wait(60)
    assert calls == [1]


class _Controller:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def hold(self) -> None:
        self.log.append("hold")

    def release(self) -> None:
        self.log.append("release")


def test_first_run_after_first_paint_starts_the_torch_preload_then_the_run(qtbot, monkeypatch):
    """At the first paint, not before: torch's library is loaded without the interpreter
    lock, and the first run (whose worker imports torch) is released once the preload's
    import gate is in place, before its loading starts (a thread created while the
    library loads waits for the loader's lock: the run's ``QThreadPool.start`` took
    20-60 ms on the GUI thread)."""
    from explorer.ui.state import torch_preload

    log: list[str] = []

    def preload(*, before_loading=None, **_):
        log.append("gate")
        before_loading()
        log.append("load")

    monkeypatch.setattr(torch_preload, "start_torch_preload", preload)
    widget = QWidget()
    widget.controller = _Controller(log)
    qtbot.addWidget(widget)
    first_run_after_first_paint(widget, fallback_ms=60000)
    qtbot.wait(50)
    assert log == ["hold"]
    widget.show()
    qtbot.waitUntil(lambda: log == ["hold", "gate", "release", "load"], timeout=5000)


def test_window_modules_import_no_heavy_library(tmp_path):
    code = (
        "import sys, json\n"
        "import explorer.cli, explorer.ui.app, explorer.ui.window.main_window\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    assert json.loads(_python(code, tmp_path)) == []


@pytest.mark.slow
def test_the_first_run_starts_after_the_first_paint(tmp_path):
    """Through ``python -m explorer``'s own path (``explorer.cli.main([])``): at the main
    window's first paint the run is still held and no heavy library is loaded; then the
    run starts by itself and its maps arrive."""
    code = f"""
import json, os, sys
import explorer.ui.app as app_module
from explorer.ui.state import torch_preload
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

seen = {{}}
make = app_module._application

class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow) and not seen:
            seen["held"] = obj.controller.held
            seen["busy_worker"] = obj.controller.worker_running
            seen["heavy"] = [m for m in {HEAVY!r} if m in sys.modules]
            seen["preload_at_paint"] = torch_preload._result is not None
            obj.controller.run_finished.connect(lambda *_: done(obj))
            obj.controller.run_failed.connect(lambda msg: done(obj, msg))
        return False

def done(window, error=None):
    seen["error"] = error
    seen["results"] = sorted(window.controller.results)
    seen["layers"] = len(window.document.scene.layers)
    seen["torch"] = "torch" in sys.modules
    seen["preloaded"] = torch_preload._result.loaded
    print(json.dumps(seen), flush=True)
    os._exit(0)

def application():
    app = make()
    app._probe = Probe()
    app.installEventFilter(app._probe)
    QTimer.singleShot(90000, lambda: (print("{{}}", flush=True), os._exit(1)))
    return app

app_module._application = application
from explorer.cli import main
main([])
"""
    seen = json.loads(_python(code, tmp_path))
    assert seen["held"] is True and seen["busy_worker"] is False
    assert seen["heavy"] == [] and seen["preload_at_paint"] is False
    assert seen["error"] is None and seen["torch"] is True
    if sys.platform.startswith("linux"):  # loaded ahead, without the interpreter lock
        assert seen["preloaded"] == ["libtorch_cpu.so"]
    assert seen["layers"] >= 1 and seen["results"] == list(range(seen["layers"]))
