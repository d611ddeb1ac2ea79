"""The Fit dock's first show makes its plots on the turns after it, one per turn (issue 16)."""

from __future__ import annotations

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.fit.fit_plots import FitPlots


def _scene() -> Scene:
    return Scene(
        layers=(default_spec("pointwise", out_channels=1),), input=InputSpec(shape=(3, 16, 16))
    )


def test_first_show_makes_one_plot_per_turn(qtbot, make_window, monkeypatch):
    """Before: the loss PlotItem and the residual ViewBox were made inside the show."""
    calls: list[int] = []  # plots still to make when each turn's call began
    build = FitPlots._build_next_plot

    def spy(self) -> None:
        calls.append(self.plots_pending)
        build(self)

    monkeypatch.setattr(FitPlots, "_build_next_plot", spy)
    win = make_window(_scene())
    dock = win.tools["fit_dock"]
    dock.show()
    plots = dock.plots
    assert plots.plots_pending == 2  # none made inside the show
    qtbot.waitUntil(lambda: plots.plots_pending == 0, timeout=5000)
    assert calls == [2, 1]  # one plot per turn of the event loop
    assert plots.loss_plot.getAxis("bottom").labelText == "step"
    assert plots.residual_image.getViewBox() is plots.residual_view


def test_data_before_the_plots_are_made_makes_them_at_once(qtbot):
    import numpy as np

    plots = FitPlots()
    qtbot.addWidget(plots)
    assert plots.plots_pending == 2
    plots.add_losses([1, 2], [0.5, 0.25])
    assert plots.plots_pending == 0
    assert list(plots.loss_curve.getData()[0]) == [1.0, 2.0]
    plots.set_residual(np.ones((2, 3, 3), dtype=np.float32))
    assert plots.residual_image.image.shape == (3, 3)
