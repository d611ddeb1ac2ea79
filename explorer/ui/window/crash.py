"""Staying alive: an exception hook with a dialog, a crash log, and autosave.

An unexpected exception (a bug) in a slot or a thread is logged to ``crash.log`` in the
data directory and shown in a dialog with a "Copy details" button; the app keeps running.
Autosave writes the scene every ~30 s while it has unsaved changes, so a crash loses little;
on the next start :func:`find_autosave` offers it back.

The data directory is ``platformdirs.user_data_dir("conv-explorer")``, or
``CONV_EXPLORER_DATA_DIR`` if set, or a temporary directory when
``CONV_EXPLORER_NO_SETTINGS=1`` (tests).
"""

from __future__ import annotations

import html
import json
import logging
import os
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from explorer.core.errors import ExplorerError
from explorer.core.model.document import SceneDocument
from explorer.ui.state.settings import settings_disabled
from explorer.ui.window.scene_writer import SceneWriter, WriteOutcome

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene

__all__ = [
    "AUTOSAVE_MS",
    "Autosave",
    "AutosaveInfo",
    "CrashDialog",
    "CrashHandler",
    "data_dir",
    "discard_autosave",
    "find_autosave",
    "format_exception",
]

log = logging.getLogger(__name__)

AUTOSAVE_MS = 30_000
AUTOSAVE_NAME = "autosave.json"
AUTOSAVE_INFO = "autosave-info.json"
CRASH_LOG = "crash.log"

_temp_data_dir: Path | None = None


def data_dir() -> Path:
    """The directory for the crash log, autosaves and pasted images (created if needed)."""
    global _temp_data_dir
    override = os.environ.get("CONV_EXPLORER_DATA_DIR")
    if override:
        path = Path(override)
    elif settings_disabled():
        if _temp_data_dir is None:
            _temp_data_dir = Path(tempfile.mkdtemp(prefix="conv-explorer-data-"))
        path = _temp_data_dir
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("conv-explorer"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def format_exception(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> str:
    """The full traceback as text, as written to the crash log."""
    return "".join(traceback.format_exception(exc_type, exc, tb))


class CrashHandler(QObject):
    """Installs ``sys.excepthook`` and ``threading.excepthook``; shows and logs errors.

    Parameters
    ----------
    parent
        The main window (the dialog's parent).
    directory
        Where ``crash.log`` goes; defaults to :func:`data_dir`.
    show_dialog
        Whether to show a dialog (tests turn it off and read :attr:`last_details`).

    Signals
    -------
    error_reported(str, str)
        One-line message and full details, on the main thread.
    """

    error_reported = Signal(str, str)
    _from_thread = Signal(str, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        directory: Path | None = None,
        show_dialog: bool = True,
    ) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self.directory = directory
        self.show_dialog = show_dialog
        self.last_message = ""
        self.last_details = ""
        self.dialog: CrashDialog | None = None
        self._old_hooks: tuple | None = None
        self._from_thread.connect(self._report)

    @property
    def log_path(self) -> Path:
        """The crash log file."""
        return (self.directory or data_dir()) / CRASH_LOG

    def install(self) -> None:
        """Route uncaught exceptions (main thread and other threads) here."""
        if self._old_hooks is None:
            self._old_hooks = (sys.excepthook, threading.excepthook)
            sys.excepthook = self.excepthook
            threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Put back the hooks that were there before :meth:`install`."""
        if self._old_hooks is not None:
            sys.excepthook, threading.excepthook = self._old_hooks
            self._old_hooks = None

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """Log and show an uncaught exception; never raises."""
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        details = format_exception(exc_type, exc, tb)
        message = str(exc) if isinstance(exc, ExplorerError) else f"{exc_type.__name__}: {exc}"
        if threading.current_thread() is threading.main_thread():
            self._report(message, details)
        else:
            self._from_thread.emit(message, details)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def _report(self, message: str, details: str) -> None:
        self.last_message, self.last_details = message, details
        try:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n{details}\n")
        except OSError as err:
            log.error("cannot write the crash log: %s", err)
        self.error_reported.emit(message, details)
        if self.show_dialog:
            self._show(message, details)

    def _show(self, message: str, details: str) -> None:
        dialog = CrashDialog(message, details, self.log_path, self._parent_widget)
        dialog.show()
        self.dialog = dialog


class CrashDialog(QDialog):
    """Non-modal: the message, the traceback, "Copy details" and "Close"."""

    def __init__(
        self, message: str, details: str, log_path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unexpected error")
        self.details = details
        text = QLabel(
            f"<b>Something went wrong:</b> {html.escape(message)}<br>"
            f"The app keeps running. Details were written to "
            f"{html.escape(str(log_path))}."
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        view = QPlainTextEdit(details)
        view.setReadOnly(True)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(details))
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(view, 1)
        layout.addLayout(buttons)
        self.resize(640, 360)


@dataclass(frozen=True)
class AutosaveInfo:
    """An autosave found at start-up."""

    path: Path
    scene_path: Path | None
    saved_at: float


def find_autosave(directory: Path | None = None) -> AutosaveInfo | None:
    """The autosave in ``directory``, if it is newer than the scene file it belongs to."""
    directory = directory or data_dir()
    path = directory / AUTOSAVE_NAME
    if not path.is_file():
        return None
    scene_path: Path | None = None
    try:
        info = json.loads((directory / AUTOSAVE_INFO).read_text(encoding="utf-8"))
        scene_path = Path(info["scene_path"]) if info.get("scene_path") else None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    saved_at = path.stat().st_mtime
    if scene_path is not None and scene_path.is_file() and scene_path.stat().st_mtime >= saved_at:
        return None
    return AutosaveInfo(path, scene_path, saved_at)


def discard_autosave(directory: Path | None = None) -> None:
    """Delete the autosave (after a save, a restore, or a clean close)."""
    directory = directory or data_dir()
    for name in (AUTOSAVE_NAME, AUTOSAVE_INFO):
        try:
            (directory / name).unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("cannot delete %s: %s", name, err)


def _write_autosave(scene: Scene, scene_path: Path | None, path: Path) -> Scene:
    """Write ``scene`` and the note beside it that names its file; returns the scene."""
    from explorer.core.io.scene import save_scene

    save_scene(scene, path)
    info = {"scene_path": str(scene_path) if scene_path else None, "time": time.time()}
    (path.parent / AUTOSAVE_INFO).write_text(json.dumps(info), encoding="utf-8")
    return scene


class Autosave(QObject):
    """Writes the document's scene to the data directory every ``interval_ms`` when dirty.

    Parameters
    ----------
    document
        The document to save.
    directory
        Where to write; defaults to :func:`data_dir`.
    interval_ms
        Period of the check.
    """

    saved = Signal(object)

    def __init__(
        self,
        document: SceneDocument,
        parent: QObject | None = None,
        *,
        directory: Path | None = None,
        interval_ms: int = AUTOSAVE_MS,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.directory = directory
        self._written = None
        # the timer's saves are written on a thread of their own: encoding a scene with big
        # hand-set weights takes a fraction of a second (issue 16)
        self._writer = SceneWriter(
            self, write=lambda scene, path, scene_path: _write_autosave(scene, scene_path, path)
        )
        self._writer.written.connect(self._on_written)
        self._writer.failed.connect(lambda out: log.warning("autosave failed: %s", out.error))
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_soon)
        self._timer.start()
        document.dirty_changed.connect(self._on_dirty_changed)

    @property
    def path(self) -> Path:
        """The autosave file."""
        return (self.directory or data_dir()) / AUTOSAVE_NAME

    def save_now(self) -> Path | None:
        """Write the scene now (on this thread) if it has unsaved changes not yet autosaved."""
        doc = self.document
        if not doc.dirty or doc.scene == self._written:
            return None
        try:
            _write_autosave(doc.scene, doc.path, self.path)
        except (OSError, ExplorerError) as err:
            log.warning("autosave failed: %s", err)
            return None
        self._written = doc.scene
        self.saved.emit(self.path)
        return self.path

    def save_soon(self) -> bool:
        """The timer's save: as :meth:`save_now`, written on a worker thread; returns
        whether a write started (``saved`` is emitted when it is done)."""
        doc = self.document
        if not doc.dirty or self._writer.busy or doc.scene == self._written:
            return False
        return self._writer.write(doc.scene, self.path, doc.path)

    @property
    def writing(self) -> bool:
        """A save started by the timer is being written."""
        return self._writer.busy

    def _on_written(self, outcome: WriteOutcome) -> None:
        self._written = outcome.scene
        if not self.document.dirty:  # saved while it was written: the autosave is obsolete
            self._written = None
            discard_autosave(self.directory)
            return
        self.saved.emit(self.path)

    def stop(self, *, discard: bool = False) -> None:
        """Stop the timer (window closing); ``discard`` deletes the autosave (after a write
        in flight has ended, so that it cannot leave one behind)."""
        self._timer.stop()
        self._writer.shutdown(5.0)
        try:
            self.document.dirty_changed.disconnect(self._on_dirty_changed)
        except (TypeError, ValueError, RuntimeError):
            pass
        if discard:
            discard_autosave(self.directory)

    def _on_dirty_changed(self, dirty: bool) -> None:
        if not dirty:  # saved (or undone to the saved state): the autosave is obsolete
            self._written = None
            discard_autosave(self.directory)
