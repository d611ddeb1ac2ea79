"""What the File menu, drops and pastes do: open, save, and ask before losing changes.

Every user error (a bad file, a refused image) ends in a message box and a status-bar
line; the document stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from explorer.core.errors import ExplorerError
from explorer.core.io.scene import Scene
from explorer.core.model.specs import default_spec
from explorer.ui.window.image_drop import (
    IMAGE_SUFFIXES,
    dropped_paths,
    is_scene_file,
    mime_image_png,
    store_pasted_image,
)

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
        """Before losing the scene: True when it is fine to go on."""
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

    def open_scene(self, path: str | Path | None = None) -> bool:
        """Open a scene file (asks for one when ``path`` is None); False if nothing changed."""
        if path is None:
            start = str(self.document.path.parent) if self.document.path else ""
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open Scene", start, SCENE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if not self.maybe_save():
            return False
        from explorer.core.io.scene import load_scene

        problem = None
        try:
            # a stack too big to run still opens: the run is refused with the estimate
            scene = load_scene(path, memory=False)
        except (ExplorerError, OSError) as err:
            try:  # it parses but does not run: open it and show the errors at their fields
                scene = load_scene(path, validate=False)
                problem = _one_line(err, path)
            except (ExplorerError, OSError):
                if isinstance(err, OSError) and not path.exists():
                    self.window.settings.remove_recent(path)
                    self.window.actions.update_recent()
                self.report("Cannot open the scene", _one_line(err, path))
                return False
        self.document.reset(scene, path)
        self._remember(path)
        dropped = self._fit_opened()
        if problem is not None and not dropped:
            self.window.statusBar().showMessage(
                f"Opened {path.name}, which does not run as it is: {problem}", 15000
            )
        else:
            self.window.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def _fit_opened(self) -> list[str]:
        """Drop set weights of the opened scene that do not fit their layer, as one undo
        step (see :mod:`explorer.core.model.weight_fit`); the document says what went."""
        from explorer.ui.tools.weights.layer_checks import fit_scene_weights

        fitted, notes = fit_scene_weights(self.document.scene)
        if notes:
            fit, self.document.fit = self.document.fit, None
            try:
                self.document.set_scene(fitted, "drop weights that do not fit")
            finally:
                self.document.fit = fit
            self.document.adjusted.emit(notes)
        return notes

    def open_lesson(self, name: str) -> bool:
        """Open a bundled scene as a new untitled one (saving asks for a place)."""
        from explorer.core.io.samples import scene_path
        from explorer.core.io.scene import load_scene

        if not self.maybe_save():
            return False
        try:
            scene = load_scene(scene_path(name))
        except (ExplorerError, OSError) as err:
            self.report("Cannot open the lesson", _one_line(err, name))
            return False
        self.document.reset(scene)
        return True

    def save(self) -> bool:
        """File ▸ Save (Save As when the scene has no file yet, or its file is one of the
        app's own: a bundled sample scene or lesson slide is never written over)."""
        if self.document.path is None or _bundled(self.document.path):
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """File ▸ Save As; ``.json`` is added when missing."""
        if path is None:
            start = str(self.document.path or Path.home() / "scene.json")
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save Scene", start, SCENE_FILTER)
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Write the scene to ``path`` (atomically) and mark the document saved."""
        from explorer.core.io.scene import save_scene

        try:
            save_scene(self.document.scene, path)
        except (ExplorerError, OSError) as err:
            self.report("Cannot save the scene", _one_line(err, path))
            return False
        self.document.mark_saved(path)
        self._remember(path)
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        return True

    def _remember(self, path: Path) -> None:
        self.window.settings.add_recent(path)
        self.window.settings.last_scene = path
        self.window.actions.update_recent()

    # ------------------------------------------------------------------ images
    def open_image(self, path: str | Path | bytes | None = None) -> bool:
        """Use an image file (or PNG/JPEG bytes) as the input; asks for one when None.

        The image is decoded first, so a file that cannot be read changes nothing.
        """
        if path is None:
            last = self.window.settings.last_image
            start = str(last.parent) if last else ""
            chosen, _ = QFileDialog.getOpenFileName(self.window, "Open Image", start, IMAGE_FILTER)
            if not chosen:
                return False
            path = chosen
        from explorer.core.io.images import load_image

        current = self.document.scene.input
        try:
            if isinstance(path, bytes):
                load_image(path, size=current.size, mode=current.mode)
                from explorer.ui.window.crash import data_dir

                path = store_pasted_image(path, data_dir())
            else:
                path = Path(path).resolve()
                load_image(path, size=current.size, mode=current.mode)
        except (ExplorerError, OSError) as err:
            self.report(
                "Cannot use the image",
                _one_line(err, path if not isinstance(path, bytes) else "pasted image"),
            )
            return False
        self.document.set_input(replace(current, image=str(path), shape=None))
        self.window.settings.last_image = path
        self.window.statusBar().showMessage(f"Input: {Path(path).name}", 5000)
        return True

    def use_sample(self, name: str) -> None:
        """Use a bundled photo as the input."""
        current = self.document.scene.input
        self.document.set_input(replace(current, image=f"sample:{name}", shape=None))

    def open_path(self, path: str | Path) -> bool:
        """A dropped or pasted file: a ``.json`` opens as a scene, an ``.onnx`` / ``.tflite``
        as a model, anything else as an image."""
        opener = self.openers.get(Path(path).suffix.lower())
        if opener is not None:
            return opener(Path(path))
        return self.open_scene(path) if is_scene_file(path) else self.open_image(path)

    def paste_image(self) -> bool:
        """Edit ▸ Paste Image: the clipboard's bitmap, or a copied image file."""
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return False
        paths = dropped_paths(mime)
        if paths:
            return self.open_path(paths[0])
        data = mime_image_png(mime)
        if data is None:
            self.window.statusBar().showMessage("The clipboard holds no image", 5000)
            return False
        return self.open_image(data)


def _one_line(err: BaseException, what: object) -> str:
    if isinstance(err, ExplorerError):
        return str(err)
    reason = getattr(err, "strerror", None) or str(err)
    return f"{what}: {reason}"


def _bundled(path: Path) -> bool:
    """Whether ``path`` is inside the app's assets (sample scenes, lessons)."""
    from explorer.core.io.samples import assets_dir

    try:
        return Path(path).resolve().is_relative_to(assets_dir().resolve())
    except OSError:
        return False
