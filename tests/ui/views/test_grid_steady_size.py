"""Results that page or unpage the feature grid, and long readouts, never resize its tiles'
view (task s10d, issue 16): seed 21's 76 ms gap was a splitter resizing the grid, and every
tile placed again, in the same turn as a result."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from explorer.ui.views.feature_grid import FeatureMapGrid


class _Resizes(QtCore.QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QtCore.QEvent.Type.Resize:
            self.count += 1
        return False


def _grid_in_a_splitter(qtbot, pane_width: int) -> tuple[QtWidgets.QSplitter, FeatureMapGrid]:
    splitter = QtWidgets.QSplitter()
    grid = FeatureMapGrid(page_size=64)
    splitter.addWidget(QtWidgets.QLabel("left"))
    splitter.addWidget(grid)
    qtbot.addWidget(splitter)
    splitter.resize(pane_width + 300, 480)
    splitter.setSizes([300, pane_width])
    splitter.show()
    qtbot.waitExposed(splitter)
    return splitter, grid


def test_paging_controls_do_not_resize_the_tiles(qtbot):
    _, grid = _grid_in_a_splitter(qtbot, 500)
    grid.set_maps(np.zeros((8, 12, 12), np.float32), title="layer 1 · standard")
    qtbot.wait(50)
    size = grid.graphics_view().size()
    resizes = _Resizes()
    grid.graphics_view().installEventFilter(resizes)
    for channels in (200, 8, 130, 3):  # paged, not paged, paged, not paged
        grid.set_maps(np.ones((channels, 12, 12), np.float32), title="layer 1 · standard")
        qtbot.wait(30)
        assert ("page 1/" in grid.page_text()) == (channels > 64)
    assert grid.graphics_view().size() == size
    assert resizes.count == 0  # the old header grew 7 px taller with its paging buttons


def test_the_grid_minimum_width_does_not_follow_its_text(qtbot):
    _, grid = _grid_in_a_splitter(qtbot, 120)  # a narrow pane: a wider minimum would resize it
    grid.set_maps(np.zeros((8, 12, 12), np.float32), title="layer 1 · standard")
    qtbot.wait(50)
    minimum, width = grid.minimumSizeHint(), grid.width()
    grid.set_maps(np.ones((300, 12, 12), np.float32), title="layer 1 · standard")  # page text
    grid._hovered(299, 11, 11, -123456.789)  # a long readout
    qtbot.wait(50)
    assert "299" in grid.readout_text() and "page 1/5" in grid.page_text()
    assert grid.minimumSizeHint() == minimum
    assert grid.width() == width  # the old grid: 68 px minimum grew to 254 px, and was resized
