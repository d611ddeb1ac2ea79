"""Building blocks as presets: MobileNetV1 and MobileNetV2 blocks inserted after the
selected layer in one undo step (Layer ▸ Insert Block, and the layer panel's Add ▾ menu).

The block's layers come from :func:`explorer.core.model.blocks.make_block`; the channels coming
in are those out of the selected layer (or the input), and the output channels are asked
in a small dialog (or defaulted: see :func:`default_out_channels`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6 import QtWidgets
from PySide6.QtGui import QAction

from explorer.core.errors import SpecError
from explorer.core.model.blocks import BLOCKS, make_block
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import LayerSpec
from explorer.ui.tools.weights.weight_edit import in_channels_at

__all__ = [
    "BlockDialog",
    "ask_and_insert",
    "block_actions",
    "default_out_channels",
    "insert_block",
    "undo_label",
]

_SHORT = {
    "mobilenet_v1": "MobileNetV1",
    "mobilenet_v2": "MobileNetV2",
    "mobilenet_v3": "MobileNetV3",
}


def undo_label(name: str) -> str:
    """``"insert MobileNetV2 block"``."""
    return f"insert {_SHORT.get(name, BLOCKS[name].title)} block"


def default_out_channels(name: str, in_channels: int) -> int:
    """What a block outputs unless asked: MobileNetV1 doubles the channels (as its stages
    do, at least 16); MobileNetV2 keeps them (at least 8), so the block could be residual."""
    if name == "mobilenet_v1":
        return max(16, 2 * in_channels)
    return max(8, in_channels)


def insert_block(
    document: SceneDocument,
    name: str,
    out_channels: int | None = None,
    stride: int = 1,
    **options: object,
) -> list[LayerSpec]:
    """Insert block ``name`` after the selected layer (at the start when the input is
    selected) as one undo step; select its first layer; return its layers.

    Raises
    ------
    SpecError
        Unknown block, or a bad channel count / stride / option (naming the field).
    """
    scene = document.scene
    at = document.selected + 1
    c_in = in_channels_at(scene, at)
    if out_channels is None:
        out_channels = default_out_channels(name, c_in)
    layers = make_block(name, c_in, int(out_channels), int(stride), **options)
    new = scene.layers[:at] + tuple(layers) + scene.layers[at:]
    document.set_scene(replace(scene, layers=new), undo_label(name))
    document.select(at)
    return layers


class BlockDialog(QtWidgets.QDialog):
    """Asks the output channels and stride of a block (and its expansion / split)."""

    def __init__(
        self, name: str, in_channels: int, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        block = BLOCKS[name]
        self.setObjectName("BlockDialog")
        self.setWindowTitle(f"Insert {block.title}")
        self.name = name
        caption = QtWidgets.QLabel(
            f"<b>{block.description}</b><br>{block.caption}<br>Channels coming in: {in_channels}."
        )
        caption.setWordWrap(True)
        self.out_channels = QtWidgets.QSpinBox()
        self.out_channels.setRange(1, 4096)
        self.out_channels.setValue(default_out_channels(name, in_channels))
        self.stride = QtWidgets.QSpinBox()
        self.stride.setRange(1, 2)
        self.stride.setToolTip("2 halves the resolution (the depthwise 3×3 strides)")
        self.expansion = QtWidgets.QSpinBox()
        self.expansion.setRange(1, 16)
        self.expansion.setValue(6)
        self.expansion.setToolTip("The 1×1 expand layer makes C_in × t channels (1: none)")
        self.split = QtWidgets.QCheckBox("as two layers (depthwise, then pointwise)")
        form = QtWidgets.QFormLayout()
        form.addRow("Output channels:", self.out_channels)
        form.addRow("Stride:", self.stride)
        if name == "mobilenet_v3":
            self.expansion.setValue(4)
        if name in ("mobilenet_v2", "mobilenet_v3"):
            form.addRow("Expansion t:", self.expansion)
        if name == "mobilenet_v1":
            form.addRow("", self.split)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(caption)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def options(self) -> dict[str, object]:
        """Keyword arguments of :func:`insert_block`."""
        extra: dict[str, object] = {}
        if self.name in ("mobilenet_v2", "mobilenet_v3"):
            extra["expansion"] = self.expansion.value()
        if self.name == "mobilenet_v1":
            extra["split"] = self.split.isChecked()
        return {"out_channels": self.out_channels.value(), "stride": self.stride.value(), **extra}


def block_actions(
    parent: QtWidgets.QWidget, trigger: Callable[[str], object], menus: Sequence[QtWidgets.QMenu]
) -> dict[str, QAction]:
    """One action per block (calling ``trigger(name)``), added to each of ``menus`` after a
    separator when the menu already has actions; returned by block name."""
    for menu in menus:
        if not menu.isEmpty():
            menu.addSeparator()
    actions: dict[str, QAction] = {}
    for name, block in BLOCKS.items():
        action = QAction(block.title, parent)
        action.setStatusTip(block.description)
        action.setToolTip(block.description)
        action.triggered.connect(lambda _=False, n=name: trigger(n))
        for menu in menus:
            menu.addAction(action)
        actions[name] = action
    return actions


def ask_and_insert(
    document: SceneDocument,
    name: str,
    parent: QtWidgets.QWidget | None,
    report: Callable[[str], None],
) -> BlockDialog:
    """Open the block dialog (non-blocking); on OK insert the block, reporting errors."""
    dialog = BlockDialog(name, in_channels_at(document.scene, document.selected + 1), parent)

    def done(result: int) -> None:
        if result != QtWidgets.QDialog.DialogCode.Accepted:
            return
        try:
            insert_block(document, name, **dialog.options())
        except SpecError as exc:
            report(f"{BLOCKS[name].title}: {exc}")
        else:
            report(f"inserted {BLOCKS[name].title}")

    dialog.finished.connect(done)
    dialog.open()
    return dialog
