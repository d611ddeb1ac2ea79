"""The Inspector's bar charts, the matrix panels and the Fit dock's loss plot never build
pyqtgraph's view-box context menu (they show none): building it and tearing it down cost
≈ a third of each plot's first build, a chunk of the GUI thread when a dock first opens."""

from __future__ import annotations

import importlib

import pytest

# the module, not the class of the same name its package exports
viewbox_module = importlib.import_module("pyqtgraph.graphicsItems.ViewBox.ViewBox")


@pytest.fixture
def menus_built(monkeypatch):
    built: list[object] = []
    original = viewbox_module.ViewBoxMenu

    def counting(view):
        built.append(view)
        return original(view)

    monkeypatch.setattr(viewbox_module, "ViewBoxMenu", counting)
    return built


def test_bar_chart_builds_no_menu(qtbot, menus_built):
    from explorer.ui.tools.inspector_plots import BarChart

    chart = BarChart("input X", "channel")
    qtbot.addWidget(chart)
    assert menus_built == []
    assert chart.plot.vb.menu is None
    assert chart.plot.vb.getContextMenus(None) == []
    chart.set_values([1.0, -2.0, 3.0])
    assert chart.heights().tolist() == [1.0, -2.0, 3.0]


def test_fit_loss_plot_builds_no_menu(qtbot, menus_built):
    from explorer.ui.tools.fit.fit_plots import FitPlots

    plots = FitPlots()
    qtbot.addWidget(plots)
    assert not [view for view in menus_built if view is plots.loss_plot.vb]
    assert plots.loss_plot.vb.menu is None
    assert plots.loss_plot.vb.getContextMenus(None) == []


def test_matrix_panel_builds_no_menu(qtbot, menus_built):
    from explorer.ui.views.weight_panels import MatrixPanel

    panel = MatrixPanel(show_colorbar=False)
    qtbot.addWidget(panel)
    assert menus_built == []
    assert panel.plot.vb.menu is None
