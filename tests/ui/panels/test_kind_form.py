"""The layer editor's form of a kind it has never heard of comes from the kind's
declaration: a list for a choice, a check box for a switch, a spin box for a number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.kinds import REGISTRY, register
from explorer.core.model.kinds.base import LayerSpec
from explorer.core.model.kinds.parts import Part, Pool
from explorer.ui.panels.layer_editor import LayerEditor


@dataclass(frozen=True, kw_only=True)
class BlurPoolSpec(LayerSpec):
    kind: ClassVar[str] = "blurpool"
    tip: ClassVar[str] = "a k×k pool with stride 1"
    editable: ClassVar[tuple[str, ...]] = ("size", "mode", "ceil")
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"mode": ("max", "avg")}
    size: int = 3
    mode: str = "avg"
    ceil: bool = False

    def parts(self, in_channels: int) -> tuple[Part, ...]:
        k = (self.size, self.size)
        return (Pool("pool", "pool", self.mode, k, (1, 1), (0, 0), self.ceil),)


@pytest.fixture
def editor(qtbot):
    register(BlurPoolSpec)
    doc = SceneDocument(Scene(layers=(BlurPoolSpec(),), input=InputSpec(shape=(2, 8, 8))))
    widget = LayerEditor(doc)
    qtbot.addWidget(widget)
    yield widget
    del REGISTRY["blurpool"]


def test_form_of_a_new_kind_follows_its_declaration(editor):
    controls = editor.controls
    assert isinstance(controls["mode"], QComboBox) and isinstance(controls["ceil"], QCheckBox)
    assert isinstance(controls["size"], QSpinBox)
    assert editor.kind_note.text() == "a k×k pool with stride 1"
    controls["mode"].setCurrentIndex(controls["mode"].findData("max"))
    controls["size"].setValue(5)
    assert editor.document.layers[0] == BlurPoolSpec(mode="max", size=5)
    editor.set_costs(stack_cost((2, 8, 8), editor.document.layers))
    assert "H_out = 4" in editor.formula_label.text()  # (8 - 5) / 1 + 1
