"""Small controls shared by the side panel: an ``h × w`` pair box and a padding box.

Both emit ``valueChanged(object)`` with the value in model terms (a ``(h, w)`` tuple, or
``"same"`` for padding), so :mod:`explorer.ui.widgets.binding` can treat them like a spin box.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QWidget

__all__ = ["PaddingControl", "PairSpinBox", "compact_spin_box"]

Pair = tuple[int, int]


def compact_spin_box(lo: int, hi: int, *, tip: str = "", parent: QWidget | None = None) -> QSpinBox:
    """A spin box of ``lo..hi`` that takes no more width than its numbers need."""
    box = QSpinBox(parent)
    box.setRange(lo, hi)
    box.setToolTip(tip)
    box.setAccelerated(True)
    box.setMinimumWidth(56)
    return box


class PairSpinBox(QWidget):
    """An ``(h, w)`` pair: one spin box for a square value, two for a rectangular one.

    The ``h×w`` toggle shows the second box; while it is off, both values follow the first
    box. A rectangular value set from the model turns the toggle on by itself.

    Signals
    -------
    valueChanged(object)
        The new ``(h, w)`` tuple, on every user change.
    """

    valueChanged = Signal(object)

    def __init__(
        self, lo: int = 1, hi: int = 1024, *, tip: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.spin_h = compact_spin_box(lo, hi, tip=tip, parent=self)
        self.spin_w = compact_spin_box(lo, hi, tip=tip, parent=self)
        self.times = QLabel("×", self)
        self.link_button = QToolButton(self)
        self.link_button.setText("h×w")
        self.link_button.setCheckable(True)
        self.link_button.setAutoRaise(True)
        self.link_button.setToolTip("Different values for the height and the width")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.spin_h, 1)
        layout.addWidget(self.times)
        layout.addWidget(self.spin_w, 1)
        layout.addWidget(self.link_button)
        self.setToolTip(tip)
        self._show_rectangular(False)
        self.spin_h.valueChanged.connect(self._on_h_changed)
        self.spin_w.valueChanged.connect(self._emit)
        self.link_button.toggled.connect(self._on_toggled)

    def value(self) -> Pair:
        """The ``(h, w)`` pair shown."""
        return (self.spin_h.value(), self.spin_w.value())

    def setValue(self, value: int | Pair) -> None:  # noqa: N802 (Qt naming)
        """Show ``value`` (an int means square), without emitting ``valueChanged``
        unless the value differs and signals are not blocked."""
        h, w = (value, value) if isinstance(value, int) else value
        old = self.value()
        for box, v in ((self.spin_h, h), (self.spin_w, w)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)
        if h != w and not self.is_rectangular():
            self.link_button.blockSignals(True)
            self.link_button.setChecked(True)
            self.link_button.blockSignals(False)
            self._show_rectangular(True)
        if self.value() != old:
            self.valueChanged.emit(self.value())

    def is_rectangular(self) -> bool:
        """Whether the height and width boxes are both shown."""
        return self.link_button.isChecked()

    def set_rectangular(self, on: bool) -> None:
        """Show one box (square) or two (``h × w``)."""
        self.link_button.setChecked(on)

    def _show_rectangular(self, on: bool) -> None:
        self.spin_w.setVisible(on)
        self.times.setVisible(on)

    def _on_h_changed(self, h: int) -> None:
        if not self.is_rectangular():
            self.spin_w.blockSignals(True)
            self.spin_w.setValue(h)
            self.spin_w.blockSignals(False)
        self._emit()

    def _on_toggled(self, on: bool) -> None:
        self._show_rectangular(on)
        if not on and self.spin_w.value() != self.spin_h.value():
            self._on_h_changed(self.spin_h.value())

    def _emit(self, *_: object) -> None:
        self.valueChanged.emit(self.value())


class PaddingControl(QWidget):
    """Padding: an ``(h, w)`` pair of zeros added around the input, or ``"same"``.

    Signals
    -------
    valueChanged(object)
        ``"same"`` or the ``(h, w)`` tuple, on every user change.
    """

    valueChanged = Signal(object)

    def __init__(self, hi: int = 1024, *, tip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pair = PairSpinBox(0, hi, tip=tip, parent=self)
        self.same = QCheckBox("same", self)
        self.same.setToolTip(
            "Pad so that the output has the input's size (stride 1 only, as in torch)"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.pair, 1)
        layout.addWidget(self.same)
        self.setToolTip(tip)
        self.pair.valueChanged.connect(self._emit)
        self.same.toggled.connect(self._on_same)

    def value(self) -> Pair | str:
        """``"same"`` or the ``(h, w)`` pair shown."""
        return "same" if self.same.isChecked() else self.pair.value()

    def setValue(self, value: int | Pair | str) -> None:  # noqa: N802 (Qt naming)
        """Show ``value``; emits ``valueChanged`` only when it differs and is not blocked."""
        old = self.value()
        same = value == "same"
        self.same.blockSignals(True)
        self.same.setChecked(same)
        self.same.blockSignals(False)
        self.pair.setEnabled(not same)
        if not same:
            self.pair.blockSignals(True)
            self.pair.setValue(value)  # type: ignore[arg-type]
            self.pair.blockSignals(False)
        if self.value() != old:
            self.valueChanged.emit(self.value())

    def _on_same(self, on: bool) -> None:
        self.pair.setEnabled(not on)
        self._emit()

    def _emit(self, *_: object) -> None:
        self.valueChanged.emit(self.value())
