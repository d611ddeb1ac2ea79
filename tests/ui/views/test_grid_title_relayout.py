"""A result of a new shape retitles the feature grid without laying the window out again
(task s10a, issue 16): the title is a :class:`~explorer.ui.widgets.text_line.TextLine`."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.widgets.text_line import TextLine


class _LayoutRequests(QtCore.QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QtCore.QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_new_shape_in_the_title_lays_nothing_out_again(qtbot):
    window = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(window)
    grid = FeatureMapGrid()
    layout.addWidget(QtWidgets.QLabel("above"))
    layout.addWidget(grid)
    qtbot.addWidget(window)
    window.resize(640, 480)
    window.show()
    qtbot.waitExposed(window)
    grid.set_maps(np.zeros((8, 12, 12), np.float32), title="layer 1 · standard")
    qtbot.wait(50)
    requests = _LayoutRequests()
    window.installEventFilter(requests)
    for channels in (16, 8, 32):  # a new shape, so a new title, each time
        grid.set_maps(np.ones((channels, 12, 12), np.float32), title="layer 1 · standard")
        qtbot.wait(30)
        assert f"{channels}×12×12" in grid._title.text()
    assert requests.count == 0  # a QLabel title: one relayout of the window per result


def test_text_line_elides_to_its_width_and_shows_the_rest_as_a_tooltip(qtbot):
    line = TextLine()
    qtbot.addWidget(line)
    line.resize(60, line.sizeHint().height())
    line.show()
    qtbot.waitExposed(line)
    text = "layer 12 · separable   (4096×224×224)"
    line.setText(text)
    assert line.text() == text
    assert line.elided_text().endswith("…") and len(line.elided_text()) < len(text)
    assert line.toolTip() == text
    line.resize(2000, line.height())
    assert line.elided_text() == text and line.toolTip() == ""
    hint = line.sizeHint()
    line.setText("x")
    assert line.sizeHint() == hint  # the hint never depends on the text
