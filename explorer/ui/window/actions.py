"""The window's menus, actions and shortcuts (no behaviour of their own).

Each action calls a method of the window or of its :class:`~explorer.ui.window.file_ops.FileOps`;
:meth:`WindowActions.update` keeps labels and enabled states in step with the document
("Undo change kernel_size").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from explorer.core.io.samples import list_samples, list_scenes
from explorer.ui.widgets.binding import connect_while_alive
from explorer.ui.widgets.colormaps import COLORMAPS

if TYPE_CHECKING:
    from explorer.ui.window.main_window import MainWindow

__all__ = ["WindowActions"]

SCALE_LABELS = {"shared": "One scale for all channels", "per_channel": "A scale per channel"}


class WindowActions:
    """Builds the menu bar of ``window`` and holds its actions as attributes."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        files = window.files
        bar = window.menuBar()

        # ---------------------------------------------------------------- File
        file_menu = self.file_menu = bar.addMenu("&File")
        self.new = self._action(
            "&New", QKeySequence.StandardKey.New, files.new_scene, "Start a new scene"
        )
        self.open_image = self._action(
            "Open &Image…",
            "Ctrl+O",
            lambda: files.open_image(background=True),
            "Use an image file as the input",
        )
        self.open_scene = self._action(
            "Open &Scene…",
            "Ctrl+Shift+O",
            lambda: files.open_scene(background=True),
            "Open a scene file (.json)",
        )
        self.save = self._action(  # encoded and written on a thread of its own
            "&Save",
            QKeySequence.StandardKey.Save,
            lambda: files.save(background=True),
            "Save the scene",
        )
        self.save_as = self._action(
            "Save &As…",
            "Ctrl+Shift+S",
            lambda: files.save_as(background=True),
            "Save the scene to a new file",
        )
        self.quit = self._action("&Quit", "Ctrl+Q", window.close, "Close Conv Explorer")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.recent_menu = QMenu("Open &Recent", window)
        self.samples_menu = QMenu("Sample &Images", window)
        self.lessons_menu = QMenu("&Lessons", window)
        for action in (self.new, self.open_image, self.open_scene):
            file_menu.addAction(action)
        file_menu.addMenu(self.recent_menu)
        file_menu.addMenu(self.samples_menu)
        file_menu.addMenu(self.lessons_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save)
        file_menu.addAction(self.save_as)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        self._fill_samples()
        self.update_recent()

        # ---------------------------------------------------------------- Edit
        edit_menu = self.edit_menu = bar.addMenu("&Edit")
        doc = window.document
        self.undo = self._action(
            "&Undo", QKeySequence.StandardKey.Undo, doc.undo, "Undo the last change"
        )
        self.redo = self._action("&Redo", "Ctrl+Shift+Z", doc.redo, "Redo the last undone change")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.paste_image = self._action(
            "&Paste Image",
            QKeySequence.StandardKey.Paste,
            files.paste_image,
            "Use the image on the clipboard",
        )
        self.cancel_run = self._action(
            "&Cancel Run", "Esc", window.controller.cancel, "Stop the computation in progress"
        )
        self.cancel_run.setEnabled(False)
        for action in (self.undo, self.redo):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.paste_image)
        edit_menu.addSeparator()
        edit_menu.addAction(self.cancel_run)

        # ---------------------------------------------------------------- View
        view_menu = self.view_menu = bar.addMenu("&View")
        colormap_menu = view_menu.addMenu("&Colour Map")
        self.colormap_group = QActionGroup(window)
        self.colormaps: dict[str, QAction] = {}
        for name, label in COLORMAPS.items():
            action = QAction(label, window, checkable=True)
            action.triggered.connect(lambda _=False, n=name: window.set_colormap(n))
            self.colormap_group.addAction(action)
            colormap_menu.addAction(action)
            self.colormaps[name] = action
        scale_menu = view_menu.addMenu("Colour &Scale")
        self.scale_group = QActionGroup(window)
        self.scale_modes: dict[str, QAction] = {}
        for mode, label in SCALE_LABELS.items():
            action = QAction(label, window, checkable=True)
            action.triggered.connect(lambda _=False, m=mode: window.set_scale_mode(m))
            self.scale_group.addAction(action)
            scale_menu.addAction(action)
            self.scale_modes[mode] = action
        view_menu.addSeparator()
        self.docks_menu = view_menu.addMenu("&Panels")
        self.reset_layout = self._action(
            "&Reset Layout", None, window.reset_layout, "Put the panels back where they started"
        )
        view_menu.addAction(self.reset_layout)
        # Filled by the teaching tools (explorer/ui/tools.py): inspector, comparison, weights…
        self.layer_menu = bar.addMenu("&Layer")
        self.tools_menu = bar.addMenu("&Tools")

        connect_while_alive(doc.changed, self.update, window)
        connect_while_alive(doc.dirty_changed, self.update, window)
        self.update()

    def _action(self, text: str, shortcut: object, slot: object, tip: str) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        self.window.addAction(action)
        return action

    def _fill_samples(self) -> None:
        files = self.window.files
        for sample in list_samples():
            action = self.samples_menu.addAction(sample.title)
            action.setStatusTip(
                f"{sample.title} ({sample.credit})" if sample.credit else sample.title
            )
            action.triggered.connect(lambda _=False, n=sample.name: files.use_sample(n))
        if list_scenes():  # named by their titles, under a heading: not "default"
            self.lessons_menu.addSection("Example Scenes")
        for name in list_scenes():
            action = self.lessons_menu.addAction(_scene_title(name))
            action.triggered.connect(lambda _=False, n=name: files.open_lesson(n, background=True))
        self.samples_menu.setEnabled(not self.samples_menu.isEmpty())
        self.lessons_menu.setEnabled(not self.lessons_menu.isEmpty())

    def update_recent(self) -> None:
        """Rewrite the Open Recent menu from the settings."""
        self.recent_menu.clear()
        recent = self.window.settings.recent_files()
        for i, path in enumerate(recent):
            action = self.recent_menu.addAction(f"&{(i + 1) % 10} {path.name}")
            action.setStatusTip(str(path))
            action.triggered.connect(
                lambda _=False, p=path: self.window.files.open_scene(p, background=True)
            )
        if recent:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear Menu")
            clear.triggered.connect(self._clear_recent)
        self.recent_menu.setEnabled(bool(recent))

    def _clear_recent(self) -> None:
        self.window.settings.clear_recent()
        self.update_recent()

    def update(self, *_: object) -> None:
        """Follow the document: undo/redo labels and enabled states."""
        doc = self.window.document
        self.undo.setEnabled(doc.can_undo)
        self.undo.setText(f"&Undo {doc.undo_label}" if doc.undo_label else "&Undo")
        self.redo.setEnabled(doc.can_redo)
        self.redo.setText(f"&Redo {doc.redo_label}" if doc.redo_label else "&Redo")

    def sync_view(self, colormap: str, scale_mode: str) -> None:
        """Check the colour map and scale mode in use."""
        if colormap in self.colormaps:
            self.colormaps[colormap].setChecked(True)
        if scale_mode in self.scale_modes:
            self.scale_modes[scale_mode].setChecked(True)


def _scene_title(name: str) -> str:
    """A bundled scene's title, else its file name in words."""
    import json

    from explorer.core.errors import ExplorerError
    from explorer.core.io.samples import scene_path

    try:
        title = json.loads(scene_path(name).read_text(encoding="utf-8")).get("title")
    except (OSError, ValueError, AttributeError, ExplorerError):  # keeps its file name
        title = None
    return str(title) if title else name.replace("_", " ").replace("-", " ").capitalize()
