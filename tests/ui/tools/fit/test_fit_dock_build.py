"""The Fit dock's first show is split over two event-loop turns (the form, then the plots),
and the dock is painted only once both are there; asking for the plots earlier makes them."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec


def _scene() -> Scene:
    return Scene(
        layers=(default_spec("pointwise", out_channels=1),), input=InputSpec(shape=(3, 16, 16))
    )


def test_plots_come_on_the_next_turn_and_the_dock_is_painted_after(qtbot, make_window):
    dock = make_window(_scene()).tools["fit_dock"]
    dock.ensure_built()
    assert dock._plots is None  # the form and buttons only, this turn
    assert not dock.updatesEnabled()  # not painted half made
    QApplication.sendPostedEvents()  # this pass of the event loop (posted calls, paints)
    assert dock._plots is None  # before: a posted call built them in the same pass
    qtbot.waitUntil(lambda: dock._plots is not None, timeout=5000)
    assert dock._body.indexOf(dock.plots) == 1
    qtbot.waitUntil(dock.updatesEnabled, timeout=5000)


def test_plots_asked_for_before_that_turn_are_made_at_once(qtbot, make_window):
    dock = make_window(_scene()).tools["fit_dock"]
    plots = dock.plots  # builds the dock too
    assert dock._plots is plots and dock._body.indexOf(plots) == 1
    assert dock.form is not None
    qtbot.waitUntil(dock.updatesEnabled, timeout=5000)
    qtbot.wait(20)
    assert dock.plots is plots  # the turn scheduled by ensure_built makes nothing more
