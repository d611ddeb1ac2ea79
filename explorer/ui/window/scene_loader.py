"""Opening a scene file off the GUI thread (File ▸ Open Scene…, Open Recent, a dropped file).

:func:`read_scene` does everything that reads or checks the file — the JSON, its fields, the
stack against its input (the image's header), the set weights that no longer fit — and
decodes the input image into the cache the run reads it from; it touches no widget, so
:class:`SceneLoader` runs it on a worker (:class:`~explorer.ui.state.runner.LatestRunner`: a
newer open wins). The GUI thread only swaps the finished scene in
(:meth:`~explorer.ui.window.file_ops.FileOps.apply_loaded`), so a big file (inline weights,
a large photo) never freezes the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from explorer.core.errors import ExplorerError
from explorer.ui.state.runner import LatestRunner

if TYPE_CHECKING:
    from explorer.core.io.scene import Scene
    from explorer.ui.window.file_ops import FileOps

__all__ = ["LoadFailed", "LoadedScene", "SceneLoader", "read_scene"]


@dataclass(frozen=True)
class LoadedScene:
    """A scene file read and checked, ready to be shown.

    Attributes
    ----------
    path
        The file.
    scene
        The scene as written in the file.
    problem
        Why the stack does not run as it is (it parses; the window shows the errors at
        their fields), or ``None``.
    fitted
        ``scene`` without the set weights that do not fit their layer (``None`` if all fit).
    notes
        One line per weight dropped from ``fitted``.
    untitled
        Opened as a new untitled scene (a bundled example: saving asks for a place, and it
        does not go into Open Recent).
    """

    path: Path
    scene: Scene
    problem: str | None = None
    fitted: Scene | None = None
    notes: tuple[str, ...] = ()
    untitled: bool = False


class LoadFailed(ExplorerError):
    """The file cannot be opened at all; ``missing`` when it does not exist."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def read_scene(path: str | Path, *, decode: bool = True) -> LoadedScene:
    """Read, check and prepare the scene file at ``path`` (no Qt: runs on a worker).

    A stack too big to run, or one that does not fit its input, still loads (``problem``
    says why it will not run). With ``decode`` the input image is decoded into the run's
    cache too (a bad image is left for the run to report).

    Raises
    ------
    LoadFailed
        One line naming the file and what is wrong, when it does not parse.
    """
    from explorer.core.io.scene import load_scene
    from explorer.ui.tools.weights.layer_checks import fit_scene_weights

    path = Path(path)
    problem = None
    try:
        scene = load_scene(path, memory=False)
    except (ExplorerError, OSError) as err:
        try:  # it parses but does not run: open it and show the errors at their fields
            scene = load_scene(path, validate=False)
            problem = one_line(err, path)
        except (ExplorerError, OSError):
            missing = not path.exists()
            raise LoadFailed(one_line(err, path), missing=missing) from None
    fitted, notes = fit_scene_weights(scene)
    if decode:
        _warm_input(scene)
    return LoadedScene(path, scene, problem, fitted if notes else None, tuple(notes))


def _read_untitled(path: Path) -> LoadedScene:
    """:func:`read_scene`, to be opened as a new untitled scene (on the worker)."""
    from dataclasses import replace

    return replace(read_scene(path), untitled=True)


def _warm_input(scene: Scene) -> None:
    """Decode the scene's input image into the cache the run reads (errors: the run's)."""
    from explorer.core.io.inputs import resolve_input  # its decoded images are cached

    if scene.input.shape is None:
        try:
            resolve_input(scene.input, scene.seed)
        except (ExplorerError, OSError, ValueError, MemoryError):
            pass


def one_line(err: BaseException, what: object) -> str:
    """The message of a user error: an app error's own line, else ``what: reason``."""
    if isinstance(err, ExplorerError):
        return str(err)
    reason = getattr(err, "strerror", None) or str(err)
    return f"{what}: {reason}"


class SceneLoader(QObject):
    """Reads scene files on a worker and hands them to ``files`` on the GUI thread.

    Signals
    -------
    finished(object)
        The :class:`LoadedScene` applied, or the :class:`LoadFailed` reported (tests wait
        on it).
    """

    finished = Signal(object)

    def __init__(self, files: FileOps) -> None:
        super().__init__(files.window)
        self.files = files
        # its own thread: opening a file never queues behind a long run in the global pool
        self.runner = LatestRunner(self, own_thread=True)
        self._requests: dict[int, tuple[Path, Scene]] = {}
        self.runner.returned.connect(self._on_loaded)
        self.runner.errored.connect(self._on_failed)
        self.runner.finished.connect(lambda rev: self._requests.pop(rev, None))

    @property
    def busy(self) -> bool:
        """A file is being read."""
        return self.runner.busy

    def open(self, path: str | Path, *, untitled: bool = False) -> int:
        """Start reading ``path``; returns the request's revision. ``untitled``: open it
        as a new untitled scene (a bundled example, see :attr:`LoadedScene.untitled`)."""
        path = Path(path)
        revision = self.runner.new_revision()
        # the scene the user agreed to leave: an edit made while the file is read is asked about
        self._requests[revision] = (path, self.files.document.scene)
        self.files.window.statusBar().showMessage(f"Opening {path.name}…")
        read = _read_untitled if untitled else read_scene
        return self.runner.submit(read, path, revision=revision)

    def shutdown(self) -> None:
        """Drop what is being read (the window closes)."""
        self.runner.shutdown(0.0)

    def _on_loaded(self, revision: int, loaded: LoadedScene) -> None:
        _path, left = self._requests.get(revision, (loaded.path, None))
        document = self.files.document
        if document.scene is not left and not self.files.maybe_save():
            self.files.window.statusBar().showMessage(f"Did not open {loaded.path.name}", 5000)
            return
        self.files.apply_loaded(loaded)
        self.finished.emit(loaded)

    def _on_failed(self, revision: int, exc: object) -> None:
        path = self._requests.get(revision, (None, None))[0]
        if isinstance(exc, LoadFailed):
            self.files.refuse(exc, path)
        else:  # a bug: the crash dialog shows it, the window keeps its scene
            raise exc  # type: ignore[misc]
        self.finished.emit(exc)
