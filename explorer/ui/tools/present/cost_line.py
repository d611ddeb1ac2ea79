"""The large cost line of presentation mode: the selected layer's and the stack's costs on
one line, in the longest form that fits the window's width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QWidget

from explorer.core.text import compact, grouped, shape_text

__all__ = ["OneLineLabel", "cost_summaries", "cost_summary"]


def cost_summary(cost: object, selected: int) -> str:
    """One line for the room: the selected layer's shapes and costs, then the stack's.

    Parameters
    ----------
    cost
        The :class:`~explorer.core.analysis.costs.StackCost` of the scene, or ``None``.
    selected
        Index of the selected layer, ``-1`` for the input.
    """
    if cost is None:
        return "No costs: the stack has an error"

    def numbers(params: int, macs: int, flops: int) -> str:
        return f"{grouped(params)} params · {compact(macs)} MACs · {compact(flops)} FLOPs"

    layers = cost.layers
    total = f"stack: {numbers(cost.params, cost.macs, cost.flops)}"
    if 0 <= selected < len(layers):
        layer = layers[selected]
        head = (
            f"Layer {selected + 1}/{len(layers)} {layer.kind}: "
            f"{shape_text(layer.input_shape)} → {shape_text(layer.output_shape)} · "
            f"{numbers(layer.params, layer.macs, layer.flops)}"
        )
        return head if len(layers) == 1 else f"{head}   |   {total}"
    return f"Input {shape_text(cost.input_shape)}   |   {total}"


def cost_summaries(cost: object, selected: int) -> list[str]:
    """:func:`cost_summary` and shorter forms of it, longest first: the cost line shows the
    longest that fits on one line (FLOPs, then shapes, then the stack are left out)."""
    full = cost_summary(cost, selected)
    if cost is None:
        return [full, "No costs"]
    layers = cost.layers

    stack = f"stack: {grouped(cost.params)} params · {compact(cost.macs)} MACs"
    if 0 <= selected < len(layers):
        layer = layers[selected]
        name = f"Layer {selected + 1}/{len(layers)} {layer.kind}"
        numbers = f"{grouped(layer.params)} params · {compact(layer.macs)} MACs"
        shapes = f"{shape_text(layer.input_shape)} → {shape_text(layer.output_shape)}"
        forms = [
            f"{name}: {shapes} · {numbers}",
            f"{name} · {numbers}",
            f"Layer {selected + 1} · {compact(layer.macs)} MACs",
        ]
        if len(layers) > 1:
            forms = [f"{forms[0]}   |   {stack}", f"{forms[1]}   |   {stack}", *forms[1:]]
    else:
        forms = [
            f"Input {shape_text(cost.input_shape)}   |   {stack}",
            f"Input {shape_text(cost.input_shape)} · {compact(cost.macs)} MACs",
        ]
    return [full, *forms]


class OneLineLabel(QLabel):
    """A label that shows, on one line, the longest of its texts that fits its width;
    it never asks for more width than the shortest one needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts: list[str] = [""]
        self.setWordWrap(False)

    def set_texts(self, texts: list[str]) -> None:
        """The forms of the text, longest first."""
        self._texts = list(texts) or [""]
        self.setToolTip(self._texts[0])
        self._choose()

    def full_text(self) -> str:
        """The longest form."""
        return self._texts[0]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """As wide as the shortest form."""
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._texts[-1])
        return QSize(width + margins.left() + margins.right(), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        """The shortest form's width, so the line never widens the window."""
        return QSize(self.minimumSizeHint().width(), super().sizeHint().height())

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt naming)
        """Choose the form for the new width."""
        super().resizeEvent(event)
        self._choose()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt naming)
        """A new font (presentation scale) may need a shorter form."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._choose()

    def _choose(self) -> None:
        room = self.contentsRect().width()
        fm = self.fontMetrics()
        text = next((t for t in self._texts if fm.horizontalAdvance(t) <= room), self._texts[-1])
        if text != self.text():
            self.setText(text)
