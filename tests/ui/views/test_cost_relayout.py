"""A new scene does not re-lay the whole cost view in the turn its results arrive (task s10e,
issue 16).

The bundled lesson (or File ▸ Open) replacing a short stack by a taller one made the cost
dock's scroll area show its bar, narrowing the cost view: the table's columns were fitted
again and the chart and every label re-laid, in the same turn as the delivery and its paint
(25.9 ms of a 55 ms gap in seed 14 of the monkey).
"""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec
from explorer.ui.views.cost_view import CostView

SHORT = (default_spec("standard", out_channels=8), default_spec("pointwise"))
TALL = (default_spec("standard", out_channels=8),) + (
    default_spec("depthwise"),
    default_spec("pointwise", out_channels=8),
) * 5


@pytest.fixture
def view(qtbot):
    view = CostView()
    qtbot.addWidget(view)
    view.resize(460, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_costs(stack_cost((3, 32, 32), SHORT), [])
    qtbot.wait(20)
    return view


def test_a_height_change_does_not_refit_the_columns(view, qtbot):
    fits: list[int] = []
    real = view._fit_table
    view._fit_table = lambda: (fits.append(view.width()), real())[1]
    view.resize(view.width(), view.height() + 150)  # taller contents, same width
    qtbot.wait(10)
    assert fits == []  # the columns depend on the width only
    view.resize(view.width() - 30, view.height())
    qtbot.wait(10)
    assert fits == [view.width()]


def test_the_chart_height_follows_in_a_later_pass(view, qtbot):
    chart = view._chart
    short = chart.height()
    assert short == 70 + 26 * len(SHORT)
    view.set_costs(stack_cost((3, 32, 32), TALL), [])
    assert chart.height() == short  # not in the turn that shows the costs
    assert view.chart_height.pending
    qtbot.waitUntil(lambda: chart.height() == 70 + 26 * len(TALL), timeout=2000)
    assert not view.chart_height.pending
    # back before the pass: nothing left to do
    view.set_costs(stack_cost((3, 32, 32), SHORT), [])
    view.set_costs(stack_cost((3, 32, 32), TALL), [])
    assert not view.chart_height.pending


def test_a_taller_scene_keeps_the_cost_view_width(make_window, qtbot):
    win = make_window(Scene(layers=SHORT), size=(1280, 720))
    qtbot.wait(50)
    width = win.cost_view.width()
    area = win.cost_view.parentWidget().parentWidget()  # viewport, then the scroll area
    resized: list[tuple[int, int]] = []
    real = win.cost_view.resizeEvent

    def record(event):
        resized.append((event.oldSize().width(), event.size().width()))
        real(event)

    win.cost_view.resizeEvent = record
    win.document.reset(Scene(layers=TALL))
    qtbot.waitUntil(lambda: win.cost_view.height() > area.viewport().height(), timeout=10000)
    qtbot.wait(50)
    assert win.cost_view.width() == width
    assert all(old == new for old, new in resized)  # only taller: no column refit
    # the bar was there before: greyed while nothing scrolled
    assert area.verticalScrollBarPolicy() == QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOn
