"""Window sizes that fit the screen (issue 15: usable down to a 1280×720 projector).

A window or dialog asks for the size it would like; :func:`fitted_size` gives the largest
part of that which fits the available area of the screen it is on (or of ``within``, e.g.
the main window a dialog belongs to).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

__all__ = ["available_size", "fit_to_screen", "fitted_size", "vertical_scroll"]


def available_size(widget: QWidget | None = None) -> QSize:
    """The available size (without task bars) of the screen ``widget`` is on, else of the
    primary screen; 1280×720 when there is no screen at all."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(1280, 720)
    return screen.availableGeometry().size()


def fitted_size(
    widget: QWidget | None, width: int, height: int, within: QWidget | None = None
) -> QSize:
    """``width``×``height``, made smaller where the screen (and ``within``) is smaller."""
    room = available_size(widget if within is None else within)
    if within is not None and within.isVisible():
        room = room.boundedTo(within.size())
    return QSize(max(1, min(width, room.width())), max(1, min(height, room.height())))


def fit_to_screen(widget: QWidget, width: int, height: int, within: QWidget | None = None) -> None:
    """Resize ``widget`` to :func:`fitted_size`."""
    widget.resize(fitted_size(widget, width, height, within))


class _VerticalScroll(QScrollArea):
    """Scrolls up and down only: as wide as its widget needs, as low as the screen is."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        inner = self.widget().minimumSizeHint() if self.widget() is not None else QSize()
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(
            inner.width() + bar + 2 * self.frameWidth(), super().minimumSizeHint().height()
        )


def vertical_scroll(widget: QWidget, name: str = "", keep_bar: bool = False) -> QScrollArea:
    """``widget`` in a frameless scroll area that scrolls up and down when the screen is
    too low for it, never sideways and never squashing it: it is as wide as the widget needs.

    ``keep_bar``: the vertical scroll bar always shows (greyed while nothing scrolls), so
    the widget's width never changes when its height crosses the area's: a bar appearing
    would narrow it and re-lay all of it (the cost view when a taller scene arrives, task
    s10e)."""
    area = _VerticalScroll()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if keep_bar:
        area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
    area.setWidget(widget)
    return area
