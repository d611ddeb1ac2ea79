"""Every new kind in the real window: selecting it, opening the tools on it and the
inspector never raise; the numbers shown are the costs of the parts."""

from __future__ import annotations

import pytest
from ui_helpers import wait_run

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.blocks import mobilenet_v3_block
from explorer.core.model.specs import default_spec


@pytest.fixture
def window(make_window):
    return make_window(
        Scene(
            input=InputSpec(image="sample:coffee", size=24),
            layers=(
                default_spec(
                    "standard",
                    out_channels=8,
                    stride=2,
                    padding=(0, 1, 0, 1),
                    activation="hardswish",
                ),
                *mobilenet_v3_block(8, 8, 16, 1),
                default_spec("maxpool", ceil_mode=True),
                default_spec("activation", activation="leaky_relu", negative_slope=0.2),
                default_spec("avgpool"),
                default_spec("pointwise", out_channels=4, activation="prelu"),
            ),
            seed=3,
        )
    )


def test_each_new_kind_can_be_selected_and_inspected(qtbot, window):
    wait_run(qtbot, window)
    doc = window.document
    tools = window.tools
    tools["inspector_dock"].show()
    for i, spec in enumerate(doc.layers):
        doc.select(i)
        qtbot.wait(10)
        tools["weight_tools"]._rebuild()
        dialog = tools["weight_tools"].edit_table()
        if dialog is not None:
            dialog.close()
        tools["inspector_dock"].set_pixel(0, 0, 0)
        tools["inspector_dock"].refresh()
        assert window.layer_editor.title.text().startswith(f"Layer {i + 1}")
        cost = window.controller.state.cost(spec)
        assert cost is not None and cost.kind == spec.kind
    # the activation layer is drawn as its curve, with its slope
    doc.select(3)
    assert "leaky_relu (slope 0.2)" in window.weight_view.title_text()
    # the PReLU pointwise: its slopes are parameters
    assert window.controller.state.cost(doc.layers[5]).params == 8 * 4 + 4 + 4
