"""The weight panels paint once per new layer (issue 13, update latency), and a layout that
depends on itself settles (a separable layer once flipped between one and two rows for ever).

Each test also checks that what is painted is the new data: fewer paints, never a stale one.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from explorer.ui.views.weight_view import WeightView


class _Paints(QtCore.QObject):
    """Counts the paint events of each panel's graphics viewport."""

    def __init__(self, view: WeightView) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        self._names: dict[QtCore.QObject, str] = {}
        for slot, panel in view._panels.items():
            viewport = panel.view.viewport()
            self._names[viewport] = slot
            viewport.installEventFilter(self)

    def reset(self) -> None:
        self.counts = {}

    def eventFilter(self, obj, event):  # noqa: N802 - Qt hook
        if event.type() == QtCore.QEvent.Type.Paint and obj in self._names:
            name = self._names[obj]
            self.counts[name] = self.counts.get(name, 0) + 1
        return False


@pytest.fixture
def view(qtbot) -> WeightView:
    widget = WeightView()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _pointwise(rng, out: int) -> dict[str, np.ndarray]:
    return {
        "weight": rng.standard_normal((out, 16, 1, 1)).astype(np.float32),
        "bias": rng.standard_normal(out).astype(np.float32),
    }


def _separable(rng, out: int) -> dict[str, np.ndarray]:
    return {
        "depthwise.weight": rng.standard_normal((3, 1, 3, 3)).astype(np.float32),
        "depthwise.bias": rng.standard_normal(3).astype(np.float32),
        "pointwise.weight": rng.standard_normal((out, 3, 1, 1)).astype(np.float32),
        "pointwise.bias": rng.standard_normal(out).astype(np.float32),
    }


def _settle(qtbot, view: WeightView, ms: int = 150) -> None:
    qtbot.wait(ms)
    qtbot.waitUntil(lambda: not view._refit_timer.isActive(), timeout=5000)
    qtbot.wait(ms)


def test_a_new_pointwise_result_paints_each_panel_once(view, qtbot, rng):
    """As the 1×1 layer's out_channels is edited (10 → 11 widens the row labels 0–9 to
    0–10, 11 → 7 narrows them) or only its values change, the matrix and its bias strip
    are painted once each (a row-count change used to paint the matrix twice: its left
    axis changed width and re-laid-out the plot after the first paint)."""
    view.set_layer("pointwise", _pointwise(rng, 8), in_channels=16)
    _settle(qtbot, view)
    paints = _Paints(view)
    for out in (9, 10, 10, 11, 7, 7, 12):
        paints.reset()
        weights = _pointwise(rng, out)
        view.set_layer("pointwise", weights, in_channels=16)
        _settle(qtbot, view)
        assert paints.counts["matrix_bias"] == 1, out
        assert paints.counts["matrix"] == 1, out
        items = view.image_items()
        np.testing.assert_array_equal(items["weight"].image, weights["weight"][:, :, 0, 0])
        np.testing.assert_array_equal(items["bias"].image[:, 0], weights["bias"])
        panel = view.panels()["weight"]
        assert panel.cell_texts()[0] == f"{weights['weight'][0, 0, 0, 0]:.2f}".replace(
            "-0.00", "0.00"
        )


def test_new_values_of_a_separable_layer_paint_each_panel_once(view, qtbot, rng):
    view.set_layer("separable", _separable(rng, 8), in_channels=3)
    _settle(qtbot, view)
    paints = _Paints(view)
    for _ in range(3):
        paints.reset()
        weights = _separable(rng, 8)
        view.set_layer("separable", weights, in_channels=3)
        _settle(qtbot, view)
        assert paints.counts == {"kernels": 1, "kernel_bias": 1, "matrix": 1, "matrix_bias": 1}
        matrix = view.image_items()["pointwise.weight"].image
        np.testing.assert_array_equal(matrix, weights["pointwise.weight"][:, :, 0, 0])


def test_a_separable_layer_whose_arrangement_changes_settles(view, qtbot, rng):
    """11 outputs in 700×400: one row makes the depthwise kernels a column, which makes two
    rows better, which makes them a row … this used to repaint the panels ≈ 35 times a
    second for ever. It must settle on one arrangement and then paint no more."""
    view.set_layer("separable", _separable(rng, 8), in_channels=3)
    _settle(qtbot, view)
    view.set_layer("separable", _separable(rng, 11), in_channels=3)
    _settle(qtbot, view, 300)
    paints = _Paints(view)
    qtbot.wait(400)
    assert paints.counts == {}
    assert view.panels()["pointwise.weight"].data_shape() == (11, 3)
