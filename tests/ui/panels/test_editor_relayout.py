"""Editing a field back and forth does not lay the whole layer editor out again (issue 16:
a word-wrapped formula one line shorter changed the editor's height, and the scroll area
resized its ≈ 60 widgets, 11 ms, in the edit's turn)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec


class _Resizes(QObject):
    """Counts Resize events of ``root`` and the widgets inside it."""

    def __init__(self, root: QWidget) -> None:
        super().__init__()
        self.root = root
        self.count = 0
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            w = watched
            while w is not None and w is not self.root:
                w = w.parentWidget()
            self.count += w is self.root
        return False

    def close(self) -> None:
        QApplication.instance().removeEventFilter(self)


def test_toggling_the_bias_back_and_forth_resizes_nothing_in_the_editor(make_window, qtbot):
    scene = Scene(
        layers=(
            default_spec("standard", out_channels=8),
            default_spec("depthwise"),
            default_spec("pointwise"),
        )
    )
    win = make_window(scene, size=(1280, 720))
    win.document.select(0)
    editor = win.layer_editor
    bias = editor.controls["bias"]
    for _ in range(2):  # both formulas seen once
        bias.setChecked(not bias.isChecked())
        qtbot.wait(100)
    resizes = _Resizes(editor)
    try:
        for _ in range(4):
            bias.setChecked(not bias.isChecked())
            qtbot.wait(100)
            assert editor.formula_label.text()  # the formula follows each edit
    finally:
        resizes.close()
    assert resizes.count == 0
    # another layer: the formula gets its own height again (no blank lines kept)
    win.document.select(2)
    qtbot.waitUntil(lambda: not win.cost_pass.pending, timeout=2000)
    label = editor.formula_label
    assert label.minimumHeight() <= max(label.heightForWidth(label.width()), 0)
