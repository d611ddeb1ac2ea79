"""LayerEditor on a real SceneDocument: each field type writes the right spec, the model
updates the widgets without echoing edits, errors mark their field, undo restores."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox

from explorer.core.analysis.costs import layer_cost, stack_cost
from explorer.core.errors import SpecError
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec, spec_fields
from explorer.ui.panels.layer_editor import LayerEditor, formula_text
from explorer.ui.widgets import PaddingControl, PairSpinBox

LAYERS = (
    default_spec("standard", out_channels=8, padding=1),
    default_spec("pointwise", out_channels=12),
    default_spec("depthwise", multiplier=2),
    default_spec("separable", out_channels=5, stride=2, padding=1),
)
IN_SHAPE = (3, 20, 24)


@pytest.fixture
def doc() -> SceneDocument:
    return SceneDocument(Scene(layers=LAYERS, input=InputSpec(shape=IN_SHAPE)))


@pytest.fixture
def editor(qtbot, doc) -> LayerEditor:
    widget = LayerEditor(doc)
    qtbot.addWidget(widget)
    widget.set_costs(stack_cost(IN_SHAPE, LAYERS))
    return widget


def count_changes(doc: SceneDocument) -> list:
    seen: list = []
    doc.changed.connect(seen.append)
    return seen


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_form_has_every_field_of_the_kind(editor, doc, index):
    doc.select(index)
    assert tuple(editor.controls) == spec_fields(LAYERS[index])
    for name, control in editor.controls.items():
        value = getattr(LAYERS[index], name)
        if isinstance(control, QComboBox):
            assert control.currentData() == value
        elif isinstance(control, QCheckBox):
            assert control.isChecked() == value
        else:
            assert control.value() == value
        assert control.toolTip()
    assert editor.title.text() == f"Layer {index + 1} · {LAYERS[index].kind}"


def test_spin_box_edit_is_one_merged_undo_step(editor, doc):
    box = editor.controls["out_channels"]
    assert isinstance(box, QSpinBox)
    for value in (1, 12, 128):  # typing "128"
        box.setValue(value)
    assert doc.layers[0] == LAYERS[0].with_changes(out_channels=128)
    assert doc.undo_labels == ["change out_channels"]
    doc.undo()
    assert doc.layers == LAYERS
    assert box.value() == LAYERS[0].out_channels


def test_pair_control_square_then_rectangular(editor, doc):
    pair = editor.controls["kernel_size"]
    assert isinstance(pair, PairSpinBox) and not pair.is_rectangular()
    pair.spin_h.setValue(5)
    assert doc.layers[0].kernel_size == (5, 5)
    pair.set_rectangular(True)
    pair.spin_w.setValue(3)
    assert doc.layers[0].kernel_size == (5, 3)
    pair.set_rectangular(False)  # back to square: w follows h
    assert doc.layers[0].kernel_size == (5, 5)


def test_rectangular_value_from_model_opens_the_pair(editor, doc):
    doc.replace_layer(0, LAYERS[0].with_changes(stride=(2, 1), padding=0))
    stride = editor.controls["stride"]
    assert stride.is_rectangular() and stride.value() == (2, 1)
    doc.select(2)
    assert not editor.controls["stride"].is_rectangular()


def test_padding_same_and_numbers(editor, doc):
    padding = editor.controls["padding"]
    assert isinstance(padding, PaddingControl)
    padding.same.setChecked(True)
    assert doc.layers[0].padding == "same"
    assert not padding.pair.isEnabled()
    padding.same.setChecked(False)
    assert doc.layers[0].padding == (1, 1)
    padding.pair.spin_h.setValue(2)
    assert doc.layers[0].padding == (2, 2)


def test_checkboxes_combo_groups_multiplier_and_seed(editor, doc):
    editor.controls["bias"].setChecked(False)
    editor.controls["batch_norm"].setChecked(True)
    combo = editor.controls["activation"]
    combo.setCurrentIndex(combo.findData("relu6"))
    editor.controls["groups"].setValue(1)  # unchanged value: no edit
    assert doc.layers[0] == LAYERS[0].with_changes(bias=False, batch_norm=True, activation="relu6")
    doc.select(2)
    editor.controls["multiplier"].setValue(3)
    assert doc.layers[2] == LAYERS[2].with_changes(multiplier=3)
    editor.seed.setValue(42)
    assert doc.scene.seed == 42
    assert doc.layers[1] == LAYERS[1]


def test_model_change_updates_widgets_without_echo(editor, doc):
    changes = count_changes(doc)
    new = LAYERS[0].with_changes(
        out_channels=33, kernel_size=(7, 7), padding="same", bias=False, activation="relu"
    )
    doc.replace_layer(0, new)
    assert len(changes) == 1 and len(doc.undo_labels) == 1
    assert editor.controls["out_channels"].value() == 33
    assert editor.controls["kernel_size"].value() == (7, 7)
    assert editor.controls["padding"].value() == "same"
    assert not editor.controls["bias"].isChecked()
    assert editor.controls["activation"].currentData() == "relu"
    doc.set_seed(7)
    assert editor.seed.value() == 7 and len(changes) == 2
    doc.undo()
    doc.undo()
    assert editor.controls["out_channels"].value() == 8
    assert editor.controls["padding"].value() == (1, 1)
    assert editor.seed.value() == 0
    assert len(changes) == 4  # two edits and two undos, nothing echoed back


def test_same_kind_edit_keeps_the_same_controls(editor, doc):
    box = editor.controls["out_channels"]
    doc.replace_layer(0, LAYERS[0].with_changes(out_channels=9))
    assert editor.controls["out_channels"] is box


def test_invalid_kernel_marks_the_field(editor, doc):
    doc.select(1)
    doc.select(2)
    editor.controls["padding"].same.setChecked(False)
    assert doc.layers[2].padding == (0, 0)
    editor.controls["kernel_size"].spin_h.setValue(30)  # bigger than the 20×24 input
    with pytest.raises(SpecError) as info:
        stack_cost(IN_SHAPE, doc.layers)
    err = info.value
    assert err.layer == 2 and err.field == "kernel_size"
    editor.show_error(err)
    kernel = editor.controls["kernel_size"]
    assert kernel.property("invalid") is True
    assert kernel.toolTip().startswith(err.message)
    assert "border" in kernel.spin_h.styleSheet()
    assert not editor.controls["padding"].property("invalid")
    assert not editor.error_label.isHidden()
    assert editor.error_label.text() == str(err)
    doc.select(0)  # another layer: its fields are not marked
    assert not editor.controls["kernel_size"].property("invalid")
    doc.select(2)
    assert editor.controls["kernel_size"].property("invalid") is True
    doc.undo()  # back to the valid kernel; the controller would clear the error
    editor.show_error(None)
    assert editor.controls["kernel_size"].value() == (3, 3)
    assert not editor.controls["kernel_size"].property("invalid")
    assert editor.controls["kernel_size"].spin_h.styleSheet() == ""
    assert editor.error_label.isHidden()


def test_input_selected_shows_the_hint(editor, doc):
    doc.select(-1)
    assert not editor.hint.isHidden()
    assert editor.form_host.isHidden()
    doc.select(1)
    assert editor.hint.isHidden() and not editor.form_host.isHidden()


def test_c_in_and_cost_line_follow_the_costs(editor, doc):
    cost = stack_cost(IN_SHAPE, LAYERS)
    doc.select(3)
    assert editor.c_in.text().startswith(f"C_in = {cost.layers[3].input_shape[0]},")
    assert f"{cost.layers[3].macs:,}" in editor.formula_label.text()
    assert f"= {cost.layers[3].params:,}\n" in editor.formula_label.text()
    editor.set_costs(None)
    assert "?" in editor.c_in.text()


def _size_results(text: str) -> list[int]:
    """The result (the last number) of each output-size line."""
    out = []
    for line in text.splitlines():
        if line.startswith(("H_out", "W_out")):
            m = re.search(r"= (-?[\d,]+)(?: \(padding 'same'.*\))?$", line)
            assert m, line
            out.append(int(m.group(1).replace(",", "")))
    return out


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["standard", "depthwise", "separable", "pointwise"]),
    k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    d=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    p=st.one_of(st.just("same"), st.tuples(st.integers(0, 3), st.integers(0, 3))),
    hw=st.tuples(st.integers(8, 40), st.integers(8, 40)),
)
def test_formula_text_agrees_with_the_cost_model(kind, k, s, d, p, hw):
    if kind == "pointwise":
        spec = default_spec(kind, stride=s)
    else:
        spec = default_spec(
            kind, kernel_size=k, stride=(1, 1) if p == "same" else s, dilation=d, padding=p
        )
    shape = (3, *hw)
    try:
        cost = layer_cost(spec, shape)
    except SpecError:
        assert "params" not in formula_text(spec, shape)
        return
    text = formula_text(spec, shape)
    _, h_out, w_out = cost.parts[0].output_shape
    sizes = _size_results(text)
    assert sizes == [h_out, w_out] or (
        sizes == [h_out] and h_out == w_out and "H_out = W_out" in text
    )
    assert text.splitlines()[-3].endswith(f"= {cost.params:,}")
    assert text.splitlines()[-2].endswith(f"= {cost.macs:,}")
    assert text.splitlines()[-1].endswith(f"= {cost.flops:,}")


def test_formula_of_a_layer_too_big_shows_why(editor, doc):
    spec = default_spec("standard", kernel_size=9, padding=0)
    text = formula_text(spec, (3, 6, 6))
    assert "params" not in text
    assert _size_results(text) == [6 - 9 + 1]  # a negative size says why it cannot run


def test_typing_keeps_text_and_cursor(editor, doc, qtbot):
    box = editor.controls["out_channels"]
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "24")
    assert doc.layers[0].out_channels == 24  # each key was an edit (keyboard tracking)
    assert box.lineEdit().text() == "24"
    assert box.lineEdit().cursorPosition() == 2
    assert doc.undo_labels == ["change out_channels"]


def test_receptive_field_line_follows_the_stack(qtbot):
    from explorer.core.model.specs import StandardSpec

    layers = (
        StandardSpec(out_channels=4, kernel_size=3, stride=2),
        StandardSpec(out_channels=4, kernel_size=5, dilation=2),
    )
    doc = SceneDocument(Scene(input=InputSpec(shape=(3, 40, 40)), layers=layers))
    ed = LayerEditor(doc)
    qtbot.addWidget(ed)
    cost = stack_cost((3, 40, 40), layers)
    ed.set_costs(cost)
    doc.select(1)
    rf = cost.layers[1].receptive_field  # 3 + 2·(5−1)·2 = 19
    assert rf == (19, 19)
    line = [t for t in ed.formula_label.text().splitlines() if t.startswith("RF")]
    assert line == ["RF = RF_prev + d(k−1)·jump = 3 + 2·(5−1)·2 = 19"]


def test_no_control_can_hold_a_value_its_layer_refuses(qtbot):
    """Every number box of the editor stays inside the range the layer itself accepts, so a
    scene the window holds is never refused when its file is opened again (monkey: a
    block's skip_pool 3545 and se_after 8 of 3 layers were saved and could not be opened)."""
    from explorer.core.model.blocks import BLOCKS, make_block
    from explorer.core.model.specs import KINDS, default_spec, spec_fields
    from explorer.ui.panels.layer_editor import _make_control
    from explorer.ui.widgets import PairSpinBox

    specs = [default_spec(kind) for kind in KINDS]
    specs += [spec for name in BLOCKS for spec in make_block(name, 8, 8)]
    checked = 0
    for spec in specs:
        for name in spec_fields(spec):
            control = _make_control(name, spec)
            qtbot.addWidget(control)
            if not hasattr(control, "maximum"):
                continue
            for value in (control.minimum(), control.maximum()):
                if isinstance(control, PairSpinBox) and not isinstance(value, tuple):
                    value = (value, value)
                changes = {name: value}
                if "se" in spec_fields(spec):
                    changes["se"] = True  # se_after is checked only with SE on
                try:
                    spec.with_changes(**changes).validate()
                except SpecError as err:
                    assert err.field != name, f"{spec.kind}.{name}={value}: {err}"
                checked += 1
    assert checked > 50
