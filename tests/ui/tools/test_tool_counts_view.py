"""Tools ▸ Counts as Other Tools Report Them: the dialog shows the core's numbers for the
current stack and follows edits."""

from __future__ import annotations

import pytest

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.tool_counts import tool_counts
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_dialog_shows_each_tool_and_follows_edits(qtbot, make_window):
    layers = (
        default_spec("standard", out_channels=8, batch_norm=True, activation="relu"),
        default_spec("separable", out_channels=6),
    )
    win = make_window(Scene(input=InputSpec(shape=(3, 20, 20)), layers=layers), wait=False)
    tools = win.tools["tool_counts_view"]
    assert tools.action in win.actions.tools_menu.actions()
    tools.action.trigger()
    dialog = tools.dialog
    assert dialog.isVisible()
    cost = stack_cost((3, 20, 20), layers)
    expected = {c.tool: c.value for c in tool_counts(cost, layers)}
    assert dialog.values() == expected
    assert expected["torch FlopCounterMode"] == cost.flops
    text = "\n".join(dialog.table.item(r, 4).text() for r in range(dialog.table.rowCount()))
    assert "padding='same'" in text and "BatchNorm" in text
    assert "fvcore #69" in [dialog.table.item(r, 5).text() for r in range(5)]
    doc = win.document
    doc.replace_layer(0, doc.layers[0].with_changes(batch_norm=False))
    cost = stack_cost((3, 20, 20), doc.layers)
    assert dialog.values() == {c.tool: c.value for c in tool_counts(cost, doc.layers)}
    assert f"{cost.macs:,} MACs" in dialog.status.text()
    dialog.close()
