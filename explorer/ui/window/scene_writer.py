"""Scenes are written on a thread of their own: File ▸ Save and the autosave (issue 16).

Encoding a scene with big hand-set weights is a fraction of a second of JSON (262,144
weights: ≈ 0.16 s; a 390 ms freeze was seen in File ▸ Save), so it is no work for the GUI
thread. A :class:`SceneWriter` writes one scene at a time on a one-thread pool of its own
(:class:`~explorer.ui.state.runner.LatestRunner` with ``own_thread``: never queued behind
a run) and says when the file is written — with the scene that was written, which may be
older than the document's by then — or why it could not be.

:meth:`SceneWriter.wait` blocks until the write in flight has ended and delivers its
outcome at once: before the window asks "save changes?" (closing, opening another scene)
the outcome of a Save in flight must be known, and a few tenths of a second of waiting
there is better than asking about changes that are being saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from explorer.ui.state.runner import LatestRunner

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene

__all__ = ["SceneWriter", "WriteOutcome"]


@dataclass(frozen=True)
class WriteOutcome:
    """What one write did: the file, the scene written to it, and the error if it failed."""

    path: Path
    scene: Scene
    error: BaseException | None = None


def _save_scene(scene: Scene, path: Path) -> None:
    from explorer.core.io.scene import save_scene

    save_scene(scene, path)


class SceneWriter(QObject):
    """Writes scenes off the GUI thread, one at a time.

    Parameters
    ----------
    parent
        The owner.
    write
        ``write(scene, path, *args)`` writes the file (run on the writer's thread; ``args``
        those given to :meth:`write`); by default :func:`explorer.core.io.scene.save_scene`
        (atomic).

    Signals
    -------
    written(WriteOutcome)
        A write ended well (on the GUI thread).
    failed(WriteOutcome)
        A write raised; ``outcome.error`` says why.
    busy_changed(bool)
        A write started or ended (progress in the window, Save disabled).
    """

    written = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        write: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self._write = write  # None: _save_scene, looked up when writing
        self._runner = LatestRunner(self, own_thread=True)
        self._runner.returned.connect(lambda _rev, outcome: self._deliver(outcome))
        self._current: Path | None = None
        self._done = threading.Event()
        self._outcome: WriteOutcome | None = None
        self._busy = False

    @property
    def busy(self) -> bool:
        """A write is in flight (its outcome not delivered yet)."""
        return self._busy

    @property
    def path(self) -> Path | None:
        """The file being written, if any."""
        return self._current

    def write(self, scene: Scene, path: str | Path, *args: Any) -> bool:
        """Start writing ``scene`` to ``path``; ``False`` (nothing started) while another
        write is in flight."""
        if self._busy:
            return False
        path = Path(path)
        self._done.clear()
        self._outcome = None
        self._current = path
        self._set_busy(True)
        self._runner.submit(self._job, scene, path, args)
        return True

    def _job(self, scene: Scene, path: Path, args: tuple) -> WriteOutcome:
        """On the writer's thread: write, and keep the outcome for :meth:`wait`."""
        try:
            (self._write or _save_scene)(scene, path, *args)
            outcome = WriteOutcome(path, scene)
        except Exception as exc:  # noqa: BLE001 - delivered as ``failed``
            outcome = WriteOutcome(path, scene, exc)
        self._outcome = outcome
        self._done.set()
        return outcome

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until the write in flight has ended (the interpreter lock released while
        waiting) and deliver its outcome now; ``True`` when none is left in flight."""
        if not self._busy:
            return True
        if not self._done.wait(timeout):
            return False
        if self._outcome is not None:
            self._deliver(self._outcome)
        return not self._busy

    def _deliver(self, outcome: WriteOutcome) -> None:
        """Once per write: from :meth:`wait` or from the runner's queued result."""
        if self._current is None or outcome is not self._outcome:
            return  # delivered already (by wait), or not this writer's latest write
        self._current = None
        self._set_busy(False)
        (self.failed if outcome.error is not None else self.written).emit(outcome)

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Finish the write in flight (a save is never dropped half-way) and stop; returns
        whether it ended within ``timeout`` seconds."""
        ended = self.wait(timeout)
        self._runner.shutdown(timeout)
        return ended

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
