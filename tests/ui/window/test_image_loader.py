"""Open Image…, a dropped image and a paste decode the image on a worker (issue 16)."""

from __future__ import annotations

import threading

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from explorer.core.io.samples import sample_path
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window import image_loader


def small() -> Scene:
    return Scene(
        input=InputSpec(image="sample:chelsea", size=24), layers=(default_spec("pointwise"),)
    )


def test_open_image_and_paste_are_checked_on_a_worker(qtbot, make_window, tmp_path, monkeypatch):
    win = make_window(small())
    doc = win.document
    seen: list[threading.Thread] = []
    real = image_loader.check_image

    def spy(*args, **kwargs):
        seen.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(image_loader, "check_image", spy)
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(sample_path("coffee").read_bytes())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(photo), ""))
    before = doc.scene
    with qtbot.waitSignal(win.files.images.finished, timeout=10000) as got:
        win.actions.open_image.trigger()
        assert doc.scene is before  # not decoded on the GUI thread's turn
    assert got.args[0] == photo.resolve() and doc.scene.input.image == str(photo.resolve())
    image = QImage(300, 40, QImage.Format.Format_RGB32)
    image.fill(0xFF102030)
    QApplication.clipboard().setImage(image)
    try:
        with qtbot.waitSignal(win.files.images.finished, timeout=10000) as got:
            win.actions.paste_image.trigger()
    finally:
        QApplication.clipboard().clear()
    assert "pasted" in doc.scene.input.image and got.args[0].exists()
    assert len(seen) == 2 and threading.main_thread() not in seen


def test_a_bad_image_is_refused_and_changes_nothing(qtbot, make_window, tmp_path):
    win = make_window(small())
    held = win.document.scene
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture", encoding="utf-8")
    with qtbot.waitSignal(win.files.images.finished, timeout=10000) as got:
        win.files.open_image(fake, background=True)
    assert isinstance(got.args[0], image_loader.ImageFailed)
    assert "notes.png" in got.args[0].message and "notes.png" in win.files.error_box.text()
    assert win.document.scene == held
