"""After a refused edit or a cancelled run the old maps and weights stay on screen,
marked as the last valid result until a new result arrives."""

from __future__ import annotations

import numpy as np
import pytest
from ui_helpers import wait_run

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, make_window):
    layers = (default_spec("standard", out_channels=4), default_spec("pointwise", out_channels=6))
    win = make_window(Scene(input=InputSpec(image="sample:chelsea", size=32), layers=layers))
    win.document.select(1)
    yield win
    timer = win.tools["layer_timing"]
    qtbot.waitUntil(lambda: not timer.busy, timeout=30000)


def shown_maps(win):
    return [np.array(item.image) for _, item in win.feature_grid.visible_image_items()]


def test_refused_edit_marks_the_last_valid_result(qtbot, window):
    marker = window.tools["stale_marker"]
    assert marker.text == "" and not any(b.isVisible() for b in marker.banners)
    before = shown_maps(window)
    doc = window.document
    doc.replace_layer(0, doc.layers[0].with_changes(groups=4))  # 3 input channels: refused
    assert window.controller.error is not None
    assert marker.text.startswith("Last valid result — not the current settings")
    assert "groups=4 does not divide the 3 input channels" in marker.text
    assert all(b.isVisible() for b in marker.banners)
    assert all(
        b.toolTip() == marker.text
        and "Last valid result" in b.text()
        and "the edit was refused" in b.text()
        for b in marker.banners
    )
    # the banners take rows of their own: they cover no title, map or read-out
    from fit_checks import overlap_problems

    assert overlap_problems(window) == []
    # the old maps are still there, under the banner
    after = shown_maps(window)
    assert all(np.array_equal(a, b) for a, b in zip(after, before, strict=True))
    # the input view is current: no banner there
    doc.select(-1)
    assert marker.text == ""
    doc.select(1)
    assert marker.text != ""
    # fixed: a new result arrives and the mark goes
    doc.replace_layer(0, doc.layers[0].with_changes(groups=1, out_channels=8))
    wait_run(qtbot, window)
    qtbot.waitUntil(lambda: marker.text == "")
    assert not any(b.isVisible() for b in marker.banners)


def test_cancelled_run_marks_the_last_valid_result(qtbot, window):
    marker = window.tools["stale_marker"]
    doc = window.document
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=3))
    window.controller.cancel()  # before the run could replace the maps
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=30000)
    assert marker.text.startswith("Last valid result")
    assert window.weight_view.isVisible() and marker.banners[1].isVisible()
    window.controller.refresh()  # run again
    wait_run(qtbot, window)
    qtbot.waitUntil(lambda: marker.text == "")


def test_no_flash_while_a_run_is_on_its_way(qtbot, window):
    marker = window.tools["stale_marker"]
    doc = window.document
    doc.replace_layer(1, doc.layers[1].with_changes(out_channels=5))
    assert window.controller.busy and marker.text == ""
    wait_run(qtbot, window)
    assert marker.text == ""
