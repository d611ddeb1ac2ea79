"""Two-way binding helpers between a model (the scene document) and Qt widgets.

The pattern follows napari's ``_qt/utils.py``: widget → model goes through a setter
(a plain function that makes a new frozen spec and hands it to the document); model →
widget happens inside :func:`signals_blocked`, so writing the model's value into a widget
never echoes back as an edit. Values already shown are left alone, so a box the user is
typing in keeps its cursor.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, QSignalBlocker
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QWidget

__all__ = [
    "connect_while_alive",
    "mark_invalid",
    "set_quietly",
    "signals_blocked",
    "widget_value",
]

_ERROR_PROPERTY = "invalid"
_ERROR_STYLE = "border: 1px solid #d03030; border-radius: 2px;"


@contextmanager
def signals_blocked(*objects: QObject) -> Iterator[None]:
    """Block the Qt signals of ``objects`` for the duration of the ``with`` block."""
    blockers = [QSignalBlocker(obj) for obj in objects]
    try:
        yield
    finally:
        for blocker in blockers:
            blocker.unblock()


def widget_value(widget: QWidget) -> Any:
    """The value a bound widget shows, in model terms.

    Widgets with a ``value()`` method (spin boxes, the pair and padding controls) give it;
    a checkable button gives ``isChecked()``; a combo box gives the current item's data
    (its text when it has no data).
    """
    if isinstance(widget, QComboBox):
        data = widget.currentData()
        return widget.currentText() if data is None else data
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    return widget.value()  # type: ignore[attr-defined]


def set_quietly(widget: QWidget, value: Any) -> bool:
    """Show ``value`` in ``widget`` without emitting its change signals.

    Nothing happens when the widget already shows ``value``, so a spin box being typed in
    keeps its text and cursor.

    Returns
    -------
    bool
        Whether the widget changed.
    """
    if widget_value(widget) == value:
        return False
    with signals_blocked(widget):
        if isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index < 0:
                index = widget.findText(str(value))
            widget.setCurrentIndex(index)
        elif isinstance(widget, QAbstractButton):
            widget.setChecked(bool(value))
        else:
            widget.setValue(value)  # type: ignore[attr-defined]
    return True


def mark_invalid(widget: QWidget, message: str | None) -> None:
    """Give ``widget`` a red border and ``message`` as its tool tip, or clear both.

    The widget's normal tool tip is kept in a dynamic property and restored on clearing.
    """
    if widget.property("normalToolTip") is None:
        widget.setProperty("normalToolTip", widget.toolTip())
    normal = str(widget.property("normalToolTip"))
    invalid = message is not None
    if bool(widget.property(_ERROR_PROPERTY)) == invalid and (
        not invalid or widget.toolTip().startswith(str(message))
    ):
        return
    widget.setProperty(_ERROR_PROPERTY, invalid)
    # A selector per box, so the red border does not cascade to buttons and labels inside.
    targets = (
        [widget]
        if not widget.findChildren(QAbstractSpinBox)
        else widget.findChildren(QAbstractSpinBox)
    )
    for target in targets:
        # the nearest Qt class: a style sheet selector does not know our subclasses
        selector = next(
            c.__name__ for c in type(target).__mro__ if c.__module__.startswith("PySide6")
        )
        # the buttons sized too: a bordered spin box otherwise draws its arrows as "="
        spin = isinstance(target, QAbstractSpinBox)
        buttons = (
            f" {selector}::up-button, {selector}::down-button {{ width: 16px; }}" if spin else ""
        )
        pad = " padding-right: 16px;" if spin else ""
        target.setStyleSheet(f"{selector} {{ {_ERROR_STYLE}{pad} }}{buttons}" if invalid else "")
    widget.setToolTip(f"{message}\n\n{normal}".strip() if invalid else normal)


def connect_while_alive(signal: Any, slot: Callable[..., Any], owner: QObject) -> None:
    """Connect a psygnal ``signal`` to ``slot`` and disconnect it when ``owner`` is destroyed.

    A model outlives the widgets that show it; without this, a deleted widget's slot
    would be called on its next change and fail on the deleted C++ object.
    """
    signal.connect(slot)
    # a weak reference, so that the connection does not keep the owner's wrapper alive
    ref = weakref.WeakMethod(slot) if inspect.ismethod(slot) else (lambda: slot)

    def _disconnect(*_: Any) -> None:
        target = ref()
        if target is not None:
            try:
                signal.disconnect(target)
            except (ValueError, RuntimeError):  # already gone
                pass

    owner.destroyed.connect(_disconnect)
