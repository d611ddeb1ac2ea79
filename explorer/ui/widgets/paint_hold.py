"""Let a window held unpainted (``setUpdatesEnabled(False)``) paint again — and make sure it does.

Qt keeps a top-level window's dirty region when its ``UpdateRequest`` arrives while the
window's updates are off (``QWidgetRepaintManager::paintAndFlush`` returns early), and it
posts no new request while that region is not empty: it assumes one is on its way. A window
marked dirty just before it was held (a relayout, a font change) and re-enabled after the
request had come and gone never painted again, under X11 as offscreen, until something
exposed it: after View ▸ Presentation Mode the whole window stood still, though it still
took keys and clicks. :func:`resume_painting` posts the request Qt is waiting for.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

__all__ = ["resume_painting"]


def resume_painting(widget: QWidget) -> None:
    """``widget.setUpdatesEnabled(True)``, and for a top-level window a posted
    ``UpdateRequest`` so that what was marked dirty while it was held is painted (Qt drops
    the request if one is already queued). Does nothing for a deleted widget."""
    if not isValid(widget):
        return
    widget.setUpdatesEnabled(True)
    if widget.isWindow():
        QCoreApplication.postEvent(
            widget, QEvent(QEvent.Type.UpdateRequest), int(Qt.EventPriority.LowEventPriority.value)
        )
