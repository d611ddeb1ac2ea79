"""The cost view's preferred width is measured once per font (task s10a, issue 16).

Qt asks the size hints of the dock's contents at every relayout of the window; the width
at which every column fits measured its fixed texts each time (≈ 1 ms a call, ten calls
when a 4096-channel result arrived and the window was laid out again).
"""

from __future__ import annotations

from PySide6 import QtGui

from explorer.ui.views.cost_view import CostView


def test_preferred_width_is_measured_once_per_font(qtbot, monkeypatch):
    view = CostView()
    qtbot.addWidget(view)
    first = view.preferred_width()
    made: list[int] = []
    real = QtGui.QFontMetrics

    def counting(*args):
        made.append(1)
        return real(*args)

    monkeypatch.setattr(QtGui, "QFontMetrics", counting)
    for _ in range(5):
        assert view.sizeHint().width() >= first
        assert view.preferred_width() == first
    assert made == []  # the same font: nothing measured again
    font = QtGui.QFont(view.table.font())
    font.setPointSizeF(font.pointSizeF() * 2)  # presentation mode scales the fonts
    view.table.setFont(font)
    wider = view.preferred_width()
    assert made, "a new font is measured"
    assert wider > first
    assert view.preferred_width() == wider
