"""A result that changes the feature maps and the weights is painted in one pass of the
window (issue 13, update latency): Qt repainted the window once per graphics scene, as each
scene's queued item processing delivered the window's pending update request at once."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.views.weight_view import WeightView
from explorer.ui.widgets.one_pass import paint_together, scenes_painted_together


class _Passes(QtCore.QObject):
    """Which watched viewports paint in each update request of the window."""

    def __init__(self, window: QtWidgets.QWidget, viewports: dict[str, QtWidgets.QWidget]):
        super().__init__()
        self.passes: list[set[str]] = []
        self._window = window
        self._names = {id(v): name for name, v in viewports.items()}
        window.installEventFilter(self)
        for viewport in viewports.values():
            viewport.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
        kind = event.type()
        if kind == QtCore.QEvent.Type.UpdateRequest and obj is self._window:
            self.passes.append(set())
        elif kind == QtCore.QEvent.Type.Paint and id(obj) in self._names and self.passes:
            self.passes[-1].add(self._names[id(obj)])
        return False

    def painted(self) -> list[set[str]]:
        return [p for p in self.passes if p]


@pytest.fixture
def window(qtbot):
    window = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(window)
    grid, weights = FeatureMapGrid(), WeightView()
    layout.addWidget(grid, 1)
    layout.addWidget(weights, 1)
    qtbot.addWidget(window)
    window.resize(1100, 500)
    window.show()
    qtbot.waitExposed(window)
    return window, grid, weights


def _result(rng, grid: FeatureMapGrid, weights: WeightView, out: int) -> None:
    """What the main window does with a 1×1 layer's result: its maps, then its weights."""
    grid.set_maps(rng.standard_normal((out, 32, 32)).astype(np.float32), title=f"pointwise {out}")
    weights.set_layer(
        "pointwise",
        {
            "weight": rng.standard_normal((out, 8, 1, 1)).astype(np.float32),
            "bias": rng.standard_normal(out).astype(np.float32),
        },
        in_channels=8,
    )


def _settle(qtbot, weights: WeightView) -> None:
    qtbot.wait(100)
    qtbot.waitUntil(lambda: not weights._refit_timer.isActive(), timeout=5000)
    qtbot.wait(100)


def test_maps_matrix_and_bias_paint_in_one_pass(window, qtbot, rng):
    """Each new result (a new channel count, or new values only) paints the grid, the matrix
    and the bias strip, all three in the same pass of the window (three passes before)."""
    win, grid, weights = window
    _result(rng, grid, weights, 6)
    _settle(qtbot, weights)
    viewports = {
        "grid": grid.graphics_view().viewport(),
        "matrix": weights._panels["matrix"].view.viewport(),
        "bias": weights._panels["matrix_bias"].view.viewport(),
    }
    passes = _Passes(win, viewports)
    for out in (7, 7, 9, 5):
        passes.passes.clear()
        # from the event loop, as a run's result arrives (a queued signal)
        QtCore.QTimer.singleShot(0, lambda o=out: _result(rng, grid, weights, o))
        qtbot.waitUntil(lambda: bool(passes.painted()), timeout=5000)
        qtbot.wait(80)
        painted = passes.painted()
        assert painted[0] == {"grid", "matrix", "bias"}, (out, painted)
        assert len(painted) == 1, (out, painted)
    # the new data were drawn, not stale ones
    assert weights._panels["matrix"].data_shape() == (5, 8)
    assert len(grid.visible_image_items()) == 5


def test_views_register_their_scenes_with_the_window_they_are_shown_in(window, qtbot):
    win, grid, weights = window
    scenes = scenes_painted_together(win)
    assert any(s is grid.graphics_view().scene() for s in scenes)
    for panel in weights._panels.values():
        assert any(s is panel.view.scene() for s in scenes)
    # the enlarged channel registers when it is first shown
    grid.set_maps(np.zeros((3, 8, 8), np.float32))
    grid.enlarge(1)
    qtbot.waitUntil(lambda: grid._channel_view.isVisible(), timeout=2000)
    channel_scene = grid._channel_view.graphics_view().scene()
    assert any(s is channel_scene for s in scenes_painted_together(win))
    scenes = scenes_painted_together(win)
    # registering again adds nothing; a floating view registers with its own window
    paint_together(grid.graphics_view())
    assert len(scenes_painted_together(win)) == len(scenes)
    other = QtWidgets.QWidget()
    qtbot.addWidget(other)
    QtWidgets.QVBoxLayout(other)
    weights.setParent(other)
    other.layout().addWidget(weights)
    other.show()
    qtbot.waitExposed(other)
    assert {id(p.view.scene()) for p in weights._panels.values()} <= {
        id(s) for s in scenes_painted_together(other)
    }


def test_a_deleted_view_is_dropped_and_never_touched(qtbot):
    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    layout = QtWidgets.QVBoxLayout(window)
    grid = FeatureMapGrid()
    layout.addWidget(grid)
    window.show()
    qtbot.waitExposed(window)
    assert len(scenes_painted_together(window)) == 1
    grid.setParent(None)
    grid.deleteLater()
    qtbot.wait(50)
    window.update()  # an update request with the scene gone: no error
    qtbot.wait(50)
    assert scenes_painted_together(window) == []
