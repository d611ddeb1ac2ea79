"""What the File menu, drops and pastes do: open, save, and ask before losing changes.

Every user error (a bad file, a refused image) ends in a message box and a status-bar
line; the document stays as it was. File ▸ Save and Save As write on a thread of their own
(:mod:`explorer.ui.window.scene_writer`): Save is disabled and the status bar says
"Saving …" meanwhile, and the scene is marked saved as it was when the write started
(edits made during the write stay unsaved). Before asking "save the changes?" (closing,
opening another scene) a write in flight is waited for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from explorer.core.errors import ExplorerError
from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window.image_drop import (
    IMAGE_SUFFIXES,
    dropped_paths,
    is_scene_file,
)
from explorer.ui.window.image_loader import ImageLoader, check_image
from explorer.ui.window.scene_loader import (
    LoadedScene,
    LoadFailed,
    SceneLoader,
    one_line,
    read_scene,
)
from explorer.ui.window.scene_writer import SceneWriter, WriteOutcome

if TYPE_CHECKING:
    from explorer.core.model.document import SceneDocument
    from explorer.ui.window.main_window import MainWindow

__all__ = ["FileOps", "new_scene"]

SCENE_FILTER = "Conv Explorer scenes (*.json)"
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"
Button = QMessageBox.StandardButton


def new_scene() -> Scene:
    """The scene File ▸ New starts from: the default photo and one 3×3 layer."""
    return Scene(layers=(default_spec("standard", out_channels=8),))


class FileOps:
    """File operations of ``window`` (kept apart so the window only composes)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.error_box: QMessageBox | None = None
        #: Opens a dropped ``.onnx`` / ``.tflite`` file (set by the model_import tool).
        #: Openers of dropped files by suffix (tools add them: models, …).
        self.openers: dict[str, Callable[[Path], bool]] = {}
        self._loader: SceneLoader | None = None
        self._images: ImageLoader | None = None
        self._writer: SceneWriter | None = None
        self._writing_from: Path | None = None  # the document's file when a write started

    @property
    def document(self) -> SceneDocument:
        """The window's document."""
        return self.window.document

    # ------------------------------------------------------------------ asking
    def ask_save(self) -> QMessageBox.StandardButton:
        """Ask Save / Discard / Cancel about unsaved changes (tests replace this)."""
        name = self.document.path.name if self.document.path else "this scene"
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to {name}?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )

    def maybe_save(self) -> bool:
        """Before losing the scene: True when it is fine to go on (a save in flight is
        waited for first: its outcome decides whether there is anything to ask about)."""
        self.finish_saving()
        if not self.document.dirty:
            return True
        answer = self.ask_save()
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def report(self, title: str, message: str) -> None:
        """Show a user error in a (non-blocking) message box and the status bar."""
        self.window.statusBar().showMessage(message, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, Button.Ok, self.window)
        box.open()
        self.error_box = box

    # ------------------------------------------------------------------ scenes
    def new_scene(self) -> None:
        """File ▸ New."""
        if self.maybe_save():
            self.document.reset(new_scene())

    def open_scene(self, path: str | Path | None = None, *, background: bool = False) -> bool:
        """Open a scene file (asks for one when ``path`` is None); False if nothing changed.

        With ``background`` (the menu, Open Recent, drops) the file is read, checked and its
        image decoded on a worker (:mod:`explorer.ui.window.scene_loader`) and the scene
        swapped in when it is ready; the return value then says whether reading started.
        """
        if path is None:
            start = str(self.document.path.parent) if self.document.path else ""
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open Scene", start, SCENE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if not self.maybe_save():
            return False
        if background:
            self.loader.open(path)
            return True
        try:
            loaded = read_scene(path, decode=False)
        except LoadFailed as err:
            self.refuse(err, path)
            return False
        self.apply_loaded(loaded)
        return True

    @property
    def loader(self) -> SceneLoader:
        """Reads scene files on a worker (made on first use)."""
        if self._loader is None:
            self._loader = SceneLoader(self)
        return self._loader

    def shutdown(self) -> None:
        """Finish a save in flight; drop a scene file being read (the window closes)."""
        if self._writer is not None:
            self._writer.shutdown()
        if self._loader is not None:
            self._loader.shutdown()
        if self._images is not None:
            self._images.shutdown()

    def refuse(self, err: LoadFailed, path: Path | None) -> None:
        """A scene file that cannot be opened: say why (a missing one leaves Open Recent)."""
        if err.missing and path is not None:
            self.window.settings.remove_recent(path)
            self.window.actions.update_recent()
        self.report("Cannot open the scene", str(err))

    def apply_loaded(self, loaded: LoadedScene) -> None:
        """Show a scene read by :func:`~explorer.ui.window.scene_loader.read_scene`: its set
        weights that do not fit are dropped as an undo step (Undo shows the file as it was)."""
        path = loaded.path
        self.document.reset(loaded.scene, None if loaded.untitled else path)
        if not loaded.untitled:
            self._remember(path)
        if loaded.notes:
            fit, self.document.fit = self.document.fit, None
            try:
                self.document.set_scene(loaded.fitted, "drop weights that do not fit")
            finally:
                self.document.fit = fit
            self.document.adjusted.emit(list(loaded.notes))
        status = self.window.statusBar()
        if loaded.untitled:  # a bundled example: nothing to say ("Opening …" goes)
            status.clearMessage()
        elif loaded.problem is not None and not loaded.notes:
            status.showMessage(
                f"Opened {path.name}, which does not run as it is: {loaded.problem}", 15000
            )
        else:
            status.showMessage(f"Opened {path.name}", 5000)

    def open_lesson(self, name: str, *, background: bool = False) -> bool:
        """Open a bundled scene as a new untitled one (saving asks for a place).

        With ``background`` (Example Scenes menu) it is read and checked on the scene
        loader's worker like any scene file (PaddleOCR's 23 trained layers: 4-11 ms of JSON
        and checks that held the GUI thread), and swapped in when ready; the return value
        then says whether reading started.
        """
        from explorer.core.io.samples import scene_path
        from explorer.core.io.scene import load_scene

        if not self.maybe_save():
            return False
        if background:
            try:
                path = scene_path(name)
            except (ExplorerError, OSError) as err:
                self.report("Cannot open the lesson", one_line(err, name))
                return False
            self.loader.open(path, untitled=True)
            return True
        try:
            scene = load_scene(scene_path(name))
        except (ExplorerError, OSError) as err:
            self.report("Cannot open the lesson", one_line(err, name))
            return False
        self.document.reset(scene)
        return True

    def save(self, *, background: bool = False) -> bool:
        """File ▸ Save (Save As when the scene has no file yet, or its file is one of the
        app's own: a bundled sample scene or lesson slide is never written over).
        ``background``: see :meth:`save_to`."""
        if self.document.path is None or _bundled(self.document.path):
            return self.save_as(background=background)
        return self.save_to(self.document.path, background=background)

    def save_as(self, path: str | Path | None = None, *, background: bool = False) -> bool:
        """File ▸ Save As; ``.json`` is added when missing. ``background``: see
        :meth:`save_to`."""
        if path is None:
            start = str(self.document.path or Path.home() / "scene.json")
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save Scene", start, SCENE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        return self.save_to(path, background=background)

    def save_to(self, path: Path, *, background: bool = False) -> bool:
        """Write the scene to ``path`` (atomically) and mark the document saved.

        With ``background`` (the menu) the scene is encoded and written on the writer's
        thread and marked saved when that is done; the return value then says whether the
        write started (not while another one is in flight).
        """
        if background:
            writer = self.writer
            if writer.busy:
                self.window.statusBar().showMessage("Still saving the scene…", 5000)
                return False
            self._writing_from = self.document.path
            return writer.write(self.document.scene, path)
        self.finish_saving()  # a save in flight ends first: files are written in order
        self._writing_from = self.document.path
        from explorer.core.io.scene import save_scene

        scene = self.document.scene
        try:
            save_scene(scene, path)
        except (ExplorerError, OSError) as err:
            self._save_failed(WriteOutcome(path, scene, err))
            return False
        self._saved(WriteOutcome(path, scene))
        return True

    @property
    def saving(self) -> bool:
        """A save runs on the writer's thread."""
        return self._writer is not None and self._writer.busy

    def finish_saving(self, timeout: float = 60.0) -> bool:
        """Wait for a save in flight and take its outcome now; ``True`` when none is left."""
        return self._writer is None or self._writer.wait(timeout)

    @property
    def writer(self) -> SceneWriter:
        """Writes scene files on a thread of its own (made on first use)."""
        if self._writer is None:
            self._writer = SceneWriter(self.window)
            self._writer.written.connect(self._saved)
            self._writer.failed.connect(self._save_failed)
            self._writer.busy_changed.connect(self._on_saving)
        return self._writer

    def _on_saving(self, busy: bool) -> None:
        for action in (self.window.actions.save, self.window.actions.save_as):
            action.setEnabled(not busy)
        if busy and self._writer is not None and self._writer.path is not None:
            self.window.statusBar().showMessage(f"Saving {self._writer.path.name}…")

    def _saved(self, outcome: WriteOutcome) -> None:
        """The scene as it was when the save started is in the file: that state is the
        saved one (edits made meanwhile stay unsaved; undoing them makes it clean)."""
        self._remember(outcome.path)
        if self.document.path != self._writing_from:  # another scene came in meanwhile
            self.window.statusBar().showMessage(
                f"Saved the previous scene to {outcome.path.name}", 5000
            )
            return
        self.document.mark_saved(outcome.path, outcome.scene)
        self.window.statusBar().showMessage(f"Saved {outcome.path.name}", 5000)

    def _save_failed(self, outcome: WriteOutcome) -> None:
        err = outcome.error
        if not isinstance(err, (ExplorerError, OSError)):
            raise err  # a bug: the crash dialog shows it
        self.report("Cannot save the scene", one_line(err, outcome.path))

    def _remember(self, path: Path) -> None:
        self.window.settings.add_recent(path)
        self.window.settings.last_scene = path
        self.window.actions.update_recent()

    # ------------------------------------------------------------------ images
    def open_image(
        self, path: str | Path | bytes | QImage | None = None, *, background: bool = False
    ) -> bool:
        """Use an image file, PNG/JPEG bytes or a pasted ``QImage`` as the input; asks for
        a file when None.

        The image is decoded first, so a file that cannot be read changes nothing. With
        ``background`` (the menu, drops, pastes) that happens on a worker
        (:mod:`explorer.ui.window.image_loader`) and the input changes when it is done;
        the return value then says whether checking started.
        """
        if path is None:
            last = self.window.settings.last_image
            start = str(last.parent) if last else ""
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open Image", start, IMAGE_FILTER)
            if not chosen:
                return False
            path = chosen
        if background:
            self.images.open(path if isinstance(path, QImage) else Path(path))
            return True
        from explorer.ui.window.crash import data_dir

        current = self.document.scene.input
        try:
            checked = check_image(
                path if isinstance(path, (bytes, QImage)) else Path(path),
                current.size,
                current.mode,
                data_dir(),
            )
        except (ExplorerError, OSError) as err:
            what = "pasted image" if isinstance(path, (bytes, QImage)) else path
            self.report("Cannot use the image", one_line(err, what))
            return False
        self.use_image(checked)
        return True

    @property
    def images(self) -> ImageLoader:
        """Checks new input images on a worker (made on first use)."""
        if self._images is None:
            self._images = ImageLoader(self)
        return self._images

    def use_image(self, path: Path) -> None:
        """Make the checked image at ``path`` the input."""
        current = self.document.scene.input
        self.document.set_input(replace(current, image=str(path), shape=None))
        self.window.settings.last_image = path
        self.window.statusBar().showMessage(f"Input: {Path(path).name}", 5000)

    def use_sample(self, name: str) -> None:
        """Use a bundled photo as the input."""
        current = self.document.scene.input
        self.document.set_input(replace(current, image=f"sample:{name}", shape=None))

    def open_path(self, path: str | Path, *, background: bool = False) -> bool:
        """A dropped or pasted file: a ``.json`` opens as a scene (on a worker with
        ``background``), an ``.onnx`` / ``.tflite`` as a model, anything else as an image."""
        opener = self.openers.get(Path(path).suffix.lower())
        if opener is not None:
            return opener(Path(path))
        if is_scene_file(path):
            return self.open_scene(path, background=background)
        return self.open_image(path, background=background)

    def paste_image(self) -> bool:
        """Edit ▸ Paste Image: the clipboard's bitmap, or a copied image file."""
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return False
        paths = dropped_paths(mime)
        if paths:
            return self.open_path(paths[0], background=True)
        image = mime.imageData() if mime.hasImage() else None
        if not isinstance(image, QImage) or image.isNull():
            self.window.statusBar().showMessage("The clipboard holds no image", 5000)
            return False
        return self.open_image(image, background=True)  # encoded and checked on a worker


def _bundled(path: Path) -> bool:
    """Whether ``path`` is inside the app's assets (sample scenes, lessons)."""
    from explorer.core.io.samples import assets_dir

    try:
        return Path(path).resolve().is_relative_to(assets_dir().resolve())
    except OSError:
        return False
