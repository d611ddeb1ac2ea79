"""The Walk-through dock's Export menu: the animation (on a worker, with progress and
cancel) and the current frame as PNG or SVG."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from explorer.core.errors import ExplorerError
from explorer.ui.state.worker_priority import lower_this_thread
from explorer.ui.tools.walkthrough.walkthrough_export import (
    save_animation,
    save_frame_png,
    save_frame_svg,
)

if TYPE_CHECKING:
    from explorer.ui.tools.walkthrough.walkthrough_dock import WalkthroughDock

__all__ = ["AnimationExport", "animation_dialog", "frame_dialog"]


class AnimationExport(QtCore.QObject):
    """One animation being written on a thread; a progress dialog shows after 100 ms.

    Signals
    -------
    progressed(int, int)
        Frames done, frames.
    finished(str, str)
        The path written and ``""``, or ``""`` and the one-line error ("export cancelled").
    """

    progressed = QtCore.Signal(int, int)
    finished = QtCore.Signal(str, str)

    def __init__(self, dock: WalkthroughDock, path: str | Path, width: int, fps: float) -> None:
        super().__init__(dock)
        self.path = Path(path)
        self.cancelled = threading.Event()
        self.done = threading.Event()
        walk, title = dock.walk, dock.title
        if walk is None:
            raise ExplorerError("nothing to export: the walk-through is not computed yet")
        total = len(walk.steps)
        self.dialog = QtWidgets.QProgressDialog(
            f"Writing {self.path.name}…", "Cancel", 0, total, dock
        )
        self.dialog.setWindowTitle("Export Animation")
        self.dialog.setMinimumDuration(100)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancelled.set)
        self.progressed.connect(lambda done, _n: self.dialog.setValue(done))
        self.finished.connect(self._on_finished)

        cancelled, done = self.cancelled, self.done

        def tell(signal: str, *args: object) -> None:
            """Emit on the GUI side, unless this object went (the window closed while the
            thread wrote): then nobody is left to tell, and the export stops."""
            try:
                getattr(self, signal).emit(*args)
            except RuntimeError:  # "Signal source has been deleted" / C++ object deleted
                cancelled.set()

        def work() -> None:
            lower_this_thread()  # encoding frames: below the GUI thread (issue 16)
            try:
                save_animation(
                    walk,
                    self.path,
                    width=width,
                    fps=fps,
                    title=title,
                    progress=lambda i, n: tell("progressed", i, n),
                    should_cancel=cancelled.is_set,
                )
                tell("finished", str(self.path), "")
            except ExplorerError as exc:
                tell("finished", "", str(exc))
            except Exception as exc:  # shown to the user, never raised in the thread
                tell("finished", "", f"{type(exc).__name__}: {exc}")
            finally:
                done.set()

        threading.Thread(target=work, name="walkthrough-export", daemon=True).start()

    def cancel(self) -> None:
        self.cancelled.set()

    def _on_finished(self, path: str, error: str) -> None:
        self.dialog.close()
        dock = self.parent()
        dock.status.setText(f"Wrote {path}" if path else f"Animation not written: {error}")


def animation_dialog(dock: WalkthroughDock) -> AnimationExport | None:
    """Ask for a file, width and frame rate, then export (progress and cancel)."""
    if dock.walk is None:
        dock.status.setText("Nothing to export yet: select a layer that has run.")
        return None
    path, _ = QtWidgets.QFileDialog.getSaveFileName(
        dock,
        "Export Walk-through Animation",
        "walkthrough.gif",
        "Animated GIF (*.gif);;Animated PNG (*.png)",
    )
    if not path:
        return None
    width, ok = QtWidgets.QInputDialog.getInt(
        dock, "Export Animation", "Width in pixels:", 960, 160, 3840, 80
    )
    if not ok:
        return None
    try:
        return AnimationExport(dock, path, width, dock.speed.value())
    except ExplorerError as exc:
        dock.status.setText(str(exc))
        return None


def frame_dialog(dock: WalkthroughDock, kind: str) -> Path | None:
    """Save the current frame as PNG (1920 px wide) or SVG."""
    if dock.walk is None:
        dock.status.setText("Nothing to export yet: select a layer that has run.")
        return None
    path, _ = QtWidgets.QFileDialog.getSaveFileName(
        dock,
        f"Export Frame as {kind.upper()}",
        f"walkthrough-step.{kind}",
        f"{kind.upper()} (*.{kind})",
    )
    if not path:
        return None
    try:
        if kind == "svg":
            written = save_frame_svg(dock.walk, dock.index, path, dock.title)
        else:
            written = save_frame_png(dock.walk, dock.index, path, 1920, dock.title)
    except ExplorerError as exc:
        dock.status.setText(str(exc))
        return None
    dock.status.setText(f"Wrote {written}")
    return written
