"""The layer editor works out a layer's formula once per layer, input shape and receptive
field (issue 16: an edit showed it twice, then again for each result's costs), and still
shows the new formula after any change."""

from __future__ import annotations

import dataclasses

import pytest

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec
from explorer.ui.panels import layer_editor
from explorer.ui.panels.layer_editor import LayerEditor

LAYERS = (default_spec("standard", out_channels=8), default_spec("pointwise", out_channels=4))
IN_SHAPE = (3, 20, 24)


@pytest.fixture
def calls(monkeypatch) -> list[tuple]:
    seen: list[tuple] = []
    original = layer_editor.formula_text

    def counting(*args, **kwargs):
        seen.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(layer_editor, "formula_text", counting)
    return seen


@pytest.fixture
def setup(qtbot, calls):
    doc = SceneDocument(Scene(layers=LAYERS, input=InputSpec(shape=IN_SHAPE)))
    editor = LayerEditor(doc)
    qtbot.addWidget(editor)
    # the costs follow each edit, as the window's controller does
    doc.changed.connect(lambda *_: editor.set_costs(stack_cost(IN_SHAPE, doc.layers)))
    editor.set_costs(stack_cost(IN_SHAPE, LAYERS))
    doc.select(0)
    return doc, editor


def test_the_same_costs_again_work_nothing_out(setup, calls):
    doc, editor = setup
    before = len(calls)
    editor.set_costs(stack_cost(IN_SHAPE, doc.layers))  # a result's costs: the same numbers
    editor.set_costs(stack_cost(IN_SHAPE, doc.layers))
    assert len(calls) == before


def test_an_edit_works_the_formula_out_once_and_shows_the_new_one(setup, calls):
    doc, editor = setup
    assert "k_h" in editor.formula_label.text() and "3·3" in editor.formula_label.text()
    before = len(calls)
    doc.replace_layer(0, dataclasses.replace(doc.layers[0], kernel_size=(5, 5)))
    assert len(calls) == before + 1
    assert "5·5" in editor.formula_label.text() and "3·3" not in editor.formula_label.text()


def test_another_layer_shows_its_own_formula(setup, calls):
    doc, editor = setup
    first = editor.formula_label.text()
    doc.select(1)
    assert editor.formula_label.text() != first
    doc.select(0)
    assert editor.formula_label.text() == first
