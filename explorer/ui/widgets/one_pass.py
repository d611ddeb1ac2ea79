"""One paint pass for several graphics views changed by the same update.

Qt processes a ``QGraphicsScene``'s changed items in a queued call of its own
(``_q_processDirtyItems``), and that call ends by delivering the window's pending
``UpdateRequest`` at once (``QGraphicsViewPrivate::dispatchPendingUpdateRequests``): the
first scene processed repaints the window before the next scene has marked its view dirty.
An edit that changed the feature grid, the weight matrix and its bias strip in one slot was
painted in three passes, one per scene, each with Qt's overhead of a whole-window sync.

:func:`paint_together` registers a view's scene with a filter on its window: when the
window's ``UpdateRequest`` arrives, the filter first delivers the queued calls of every
registered scene, so their views' regions join this pass; their own dispatch then finds no
request to deliver (the one being delivered is no longer queued), and the window is painted
once.
"""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore, QtWidgets

__all__ = ["paint_together", "scenes_painted_together"]


class _SceneFlush(QtCore.QObject):
    """Event filter on a top-level window: before it syncs its backing store, the queued
    calls of the registered scenes (their changed items) are delivered."""

    def __init__(self, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self.setObjectName("SceneFlush")
        self.scenes: list[QtWidgets.QGraphicsScene] = []

    def add(self, scene: QtWidgets.QGraphicsScene) -> None:
        self.scenes = [s for s in self.scenes if shiboken6.isValid(s)]
        if not any(s is scene for s in self.scenes):
            self.scenes.append(scene)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.UpdateRequest:
            metacall = QtCore.QEvent.Type.MetaCall
            for scene in self.scenes:
                if shiboken6.isValid(scene):
                    QtCore.QCoreApplication.sendPostedEvents(scene, metacall)
        return False


def paint_together(view: QtWidgets.QGraphicsView) -> None:
    """Paint ``view``'s scene changes in the same pass as the other views registered in
    its window (call when the view is shown: a view moved to another window, a floating
    dock, registers there again). Idempotent."""
    window = view.window()
    scene = view.scene()
    if window is None or scene is None:
        return
    flush = window.findChild(
        _SceneFlush, "SceneFlush", QtCore.Qt.FindChildOption.FindDirectChildrenOnly
    )
    if flush is None:
        flush = _SceneFlush(window)
        window.installEventFilter(flush)
    flush.add(scene)


def scenes_painted_together(window: QtWidgets.QWidget) -> list[QtWidgets.QGraphicsScene]:
    """The scenes registered with ``window`` by :func:`paint_together` (for tests)."""
    flush = window.findChild(
        _SceneFlush, "SceneFlush", QtCore.Qt.FindChildOption.FindDirectChildrenOnly
    )
    return [s for s in flush.scenes if shiboken6.isValid(s)] if flush is not None else []
