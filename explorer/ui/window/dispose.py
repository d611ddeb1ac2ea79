"""Deleting a closed window now, while Python is fully alive.

A closed window is only hidden: Qt keeps it (and its graphics scenes, whose items are
pyqtgraph objects with Python overrides of ``event``, ``resizeEvent`` …) until it is deleted.
Left alive until the interpreter exits, it is destroyed by PySide's exit clean-up
(``destroyQCoreApplication``), which deletes every Python-owned QObject in no particular
order: a pyqtgraph ``GraphicsLayout`` deleted before its view deletes its child
``QGraphicsWidget``\\ s, whose Python overrides then run on a half-finalized interpreter, and
the process can die with a segmentation fault after all its work is done.
:func:`dispose_window` deletes the window at once instead, so nothing of it is left for that
clean-up.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

__all__ = ["dispose_window"]


def dispose_window(window: QWidget) -> None:
    """Delete ``window`` and everything it owns now (GUI thread; idempotent).

    Call it after the window has been shut down and closed. Deferred deletions already
    posted (``deleteLater``) run too, so widgets closed earlier go with it.
    """
    if shiboken6.isValid(window):
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
