"""What the monkey found, pinned down: nothing escapes from the weight tools on an invalid or
huge layer, a saved scene always opens again, set weights that no longer fit are dropped in
the edit's own undo step."""

from __future__ import annotations

import numpy as np
import pytest
from robust_helpers import small_scene

from explorer.core.io.scene import InputSpec, Scene, load_scene
from explorer.core.model.presets import with_weight
from explorer.core.model.specs import default_spec


def _invalid(win) -> None:
    """groups=2 on 3 input channels: the window keeps it and shows it at its field."""
    doc = win.document
    doc.replace_layer(0, default_spec("standard", out_channels=4, groups=2))
    assert win.controller.error is not None and win.controller.error.field == "groups"


def test_weight_tools_refuse_an_invalid_stack_with_a_message(qtbot, make_window):
    win = make_window(small_scene())
    tools = win.tools["weight_tools"]
    _invalid(win)
    win.document.select(0)
    before = win.document.scene
    assert tools.edit_table() is None
    assert tools.set_weight("weight", (0, 0, 0, 0), 1.0) is False
    assert "groups" in tools.message.text()
    assert tools.apply_preset("sobel_x") is False  # was ZeroDivisionError in _kernel_bank
    assert not tools.edit_action.isEnabled()
    assert all(not a.isEnabled() for a in tools.preset_actions.values())
    win.document.select(1)
    win.document.select(0)  # selecting the layer says why, where the hint was
    assert tools.message.text().startswith("Cannot set weights: layer 1 (standard), field 'groups'")
    assert win.document.scene == before


def test_weight_tools_refuse_a_layer_too_big_to_edit_without_building_it(
    qtbot, make_window, monkeypatch
):
    import explorer.core.compute.build as build

    scene = Scene(
        input=InputSpec(shape=(2048, 4, 4)), layers=(default_spec("pointwise", out_channels=4096),)
    )
    win = make_window(scene, wait=False)
    tools = win.tools["weight_tools"]
    win.document.select(0)
    monkeypatch.setattr(
        build,
        "build_layer",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("built a layer too big to edit")),
    )
    assert tools.set_weight("weight", (0, 0, 0, 0), 1.0) is False
    assert "too many to set by hand" in tools.message.text()
    assert tools.edit_table() is None
    assert tools.apply_preset("identity") is False
    assert not tools.edit_action.isEnabled()
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=60000)


def test_an_invalid_scene_saved_by_the_window_opens_again(qtbot, tmp_path, make_window):
    win = make_window(small_scene())
    _invalid(win)
    path = tmp_path / "invalid.json"
    assert win.files.save_as(path)
    held = win.document.scene
    win.document.reset(small_scene())
    assert win.files.open_scene(path) is True
    assert win.document.scene == held and not win.document.dirty
    assert win.controller.error is not None and win.controller.error.field == "groups"
    assert "groups" in win.statusBar().currentMessage()


def test_a_shape_change_drops_what_no_longer_fits_and_undo_restores_it(
    qtbot, make_window, tmp_path
):
    win = make_window(small_scene())
    doc, tools = win.document, win.tools["weight_tools"]
    doc.select(1)
    assert tools.apply_preset("box_blur")  # depthwise 1×1 "box blur": weight [4, 1, 1, 1]
    with_set = doc.scene
    doc.replace_layer(1, doc.layers[1].with_changes(kernel_size=(3, 3)))
    assert [t for t, _ in doc.layers[1].weights] == ["bias"]  # the bias [4] still fits
    assert "dropped the set weight [4, 1, 1, 1]" in tools.message.text()
    assert doc.undo() and doc.scene == with_set
    # a file holding weights that do not fit opens; they are dropped as an undo step
    bad = with_weight(default_spec("pointwise", out_channels=4), "weight", np.ones((4, 7, 1, 1)))
    from explorer.core.io.scene import save_scene

    path = tmp_path / "misfit.json"
    save_scene(Scene(input=InputSpec(shape=(3, 12, 12)), layers=(bad,)), path)
    assert win.files.open_scene(path) is True
    assert doc.layers[0].weights == () and doc.dirty
    assert "dropped the set weight [4, 7, 1, 1]" in tools.message.text()
    assert doc.undo() and doc.scene == load_scene(path, validate=False)
    qtbot.waitUntil(lambda: not win.controller.busy, timeout=30000)


def test_same_padding_with_a_stride_is_held_saved_and_opened_again(qtbot, tmp_path, make_window):
    win = make_window(small_scene())
    doc = win.document
    doc.replace_layer(1, doc.layers[1].with_changes(padding="same", stride=(2, 2)))
    assert win.controller.error is not None and win.controller.error.field == "padding"
    path = tmp_path / "same.json"
    assert win.files.save_as(path)
    held = doc.scene
    doc.reset(small_scene())
    assert win.files.open_scene(path) is True and doc.scene == held
    assert win.controller.error.field == "padding"


def test_the_window_starts_on_a_scene_that_does_not_run(tmp_path):
    from explorer.core.io.scene import save_scene
    from explorer.ui.app import initial_scene
    from explorer.ui.state.settings import AppSettings, make_qsettings

    held = Scene(
        input=InputSpec(shape=(3, 8, 8)),
        layers=(default_spec("standard", out_channels=4, groups=2),),
    )
    path = tmp_path / "held.json"
    save_scene(held, path)
    scene, opened, problem = initial_scene(path, AppSettings(make_qsettings(tmp_path / "s.ini")))
    assert scene == held and opened == path.resolve()
    assert "groups" in problem  # shown in the status bar; the field shows it too


def test_weights_are_not_read_while_the_first_run_imports_torch(monkeypatch):
    """The GUI thread would wait for the worker's import of torch (1-3 s): it says so."""
    import sys
    from types import SimpleNamespace

    import pytest

    from explorer.core.errors import ExplorerError
    from explorer.ui.tools.weights.weight_edit import current_weights

    scene = small_scene()
    assert current_weights(scene, 0)[0] == 3
    loading = SimpleNamespace(__spec__=SimpleNamespace(_initializing=True))
    monkeypatch.setitem(sys.modules, "explorer.core.compute.build", loading)
    with pytest.raises(ExplorerError, match="still loading"):
        current_weights(scene, 0)


@pytest.mark.parametrize(
    "spec, c_in",
    [
        (default_spec("standard", out_channels=12, groups=3), 6),
        (default_spec("depthwise", multiplier=2), 5),
        (default_spec("separable", out_channels=7, multiplier=3), 4),
    ],
)
def test_wiring_caption_counts_the_connections_without_listing_them(spec, c_in):
    from explorer.core.analysis.wiring import channel_wiring
    from explorer.ui.tools.wiring_view import stage_caption

    for stage in channel_wiring(spec, c_in):
        assert f"({len(stage.edges):,} connections of" in stage_caption(stage)
