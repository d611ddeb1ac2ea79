"""The window closed while an export's PNG encoder runs: the encoder ends quietly (issue 16)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QImage
from ui_helpers import wait_run

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


def test_closing_the_window_while_the_encoder_runs_is_quiet(
    qtbot, tmp_path, make_window, monkeypatch
):
    scene = Scene(
        input=InputSpec(shape=(3, 32, 32)), layers=(default_spec("standard", out_channels=6),)
    )
    win = make_window(scene, size=(1280, 720), wait=False)
    wait_run(qtbot, win, 60000)
    release = threading.Event()
    real_save = QImage.save

    def slow_save(self, *args):
        release.wait(10)
        return real_save(self, *args)

    monkeypatch.setattr(QImage, "save", slow_save)
    errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    exporter = win.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "window.png"
    exporter.ask_width = lambda: 600
    job = exporter.export_panel("window", "png")
    qtbot.waitUntil(lambda: job._encoder is not None, timeout=10000)
    encoder = job._encoder
    win.close()  # closing: the job is cancelled or goes on; then the job object goes
    job.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    release.set()
    encoder.join(10)
    assert not encoder.is_alive()
    assert errors == []
    assert job._encoded is True
