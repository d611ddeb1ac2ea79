"""Scenes as slides: a lesson stepped through with the keyboard, each slide captioned.

File ▸ Open Lesson… opens a lesson folder (or its ``lesson.json``; a scene file starts its
folder's lesson at that slide) and File ▸ Lessons ▸ Start the Bundled Lesson opens the one
that ships with the app (:func:`explorer.core.io.lesson.default_lesson_path`). Each slide is
loaded into the document (``document.reset(scene, path)``) and its number, title and caption
are shown in a large bar above the feature maps: ``3 / 9 · Title — caption``.

Keys (what a presentation clicker sends): Right, PageDown, Space → next slide; Left, PageUp
→ previous; Home / End → first / last. An application-level event filter takes them before
a focused list or button does, but only while a lesson is open, and, outside presentation
mode, never from a text field or spin box (where arrows edit the value).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from explorer.core.errors import ExplorerError
from explorer.core.io.lesson import INDEX_NAME, Lesson, default_lesson_path, load_lesson

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["CaptionBar", "SlideShow", "caption_text", "install", "is_text_entry"]

#: Feature-map tiles per page during a lesson, and otherwise.
SLIDE_PAGE_SIZE, NORMAL_PAGE_SIZE = 32, 64
_NEXT = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space)
_PREVIOUS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp)
_KEYS = (*_NEXT, *_PREVIOUS, Qt.Key.Key_Home, Qt.Key.Key_End)
_TEXT_ENTRY = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


def caption_text(number: int, count: int, title: str, caption: str) -> str:
    """``"3 / 9 · Title — caption"`` (parts left out when empty)."""
    text = f"{number} / {count}"
    if title:
        text += f" · {title}"
    if caption:
        text += f" — {caption}"
    return text


def is_text_entry(widget: QWidget | None) -> bool:
    """Whether ``widget`` uses the arrow keys for editing (line edit, spin box, …)."""
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return (
        isinstance(widget, _TEXT_ENTRY)
        or isinstance(widget, QWidget)
        and isinstance(widget.parentWidget(), QAbstractSpinBox)
    )


class CaptionBar(QFrame):
    """The bar above the feature maps: slide number, title and caption, large."""

    previous_requested = Signal()
    next_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LessonCaptionBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        palette = self.palette()  # a light tint of the highlight colour sets the bar apart
        base = palette.color(QPalette.ColorRole.Base)
        accent = palette.color(QPalette.ColorRole.Highlight)
        tint = QColor.fromRgbF(
            *(
                0.86 * b + 0.14 * a
                for b, a in zip(base.getRgbF()[:3], accent.getRgbF()[:3], strict=True)
            )
        )
        palette.setColor(QPalette.ColorRole.Window, tint)
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        font = QFont(self.label.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)  # large, but leaves the maps room
        self.label.setFont(font)
        self._text = ""
        buttons = []
        for text, tip, signal in (
            ("◀", "Previous slide (Left, PageUp)", self.previous_requested),
            ("▶", "Next slide (Right, PageDown, Space)", self.next_requested),
            ("✕", "End the lesson", self.close_requested),
        ):
            button = QToolButton(text=text, toolTip=tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must not click it
            button.clicked.connect(signal.emit)
            buttons.append(button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        for button in buttons:
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        self.previous_button, self.next_button, self.close_button = buttons

    def set_slide(self, number: int, count: int, title: str, caption: str) -> None:
        """Show slide ``number`` of ``count``."""
        self._text = caption_text(number, count, title, caption)
        self.previous_button.setVisible(True)
        self.next_button.setVisible(True)
        head = html.escape(caption_text(number, count, title, ""))
        body = f" — {html.escape(caption)}" if caption else ""
        self.label.setText(f"<b>{head}</b>{body}")
        self.previous_button.setEnabled(number > 1)
        self.next_button.setEnabled(number < count)

    def set_scene(self, title: str, caption: str) -> None:
        """Show a scene's title and caption outside a lesson (no slide buttons)."""
        self._text = f"{title} — {caption}" if title else caption
        head = f"<b>{html.escape(title)}</b> — " if title else ""
        self.label.setText(head + html.escape(caption))
        self.previous_button.setVisible(False)
        self.next_button.setVisible(False)

    def text(self) -> str:
        """The caption as plain text."""
        return self._text


class SlideShow(QObject):
    """The lesson open in ``window``, if any, and the keys and menus that step through it.

    Signals
    -------
    slide_changed(int)
        A slide (0-based index) was loaded into the document; -1 when the lesson ended.
    """

    slide_changed = Signal(int)

    def __init__(self, host: ToolHost) -> None:
        window = host.widget
        super().__init__(window)
        self.host = host
        self.window = window  # the parent of dialogs; keys are taken in its widgets
        self.lesson: Lesson | None = None
        self.index = -1
        self._slide_tool: object | None = None  # the tool the current slide opened

        self.caption_bar = CaptionBar()
        self.caption_bar.setVisible(False)
        self.caption_bar.previous_requested.connect(self.previous)
        self.caption_bar.next_requested.connect(self.next)
        self.caption_bar.close_requested.connect(self.stop)
        self.caption_bar.close_requested.connect(lambda: self.caption_bar.setVisible(False))
        host.add_above_maps(self.caption_bar)

        self.open_action = QAction("Open &Lesson…", window)
        self.open_action.setStatusTip("Step through a folder of scenes as slides")
        self.open_action.triggered.connect(lambda _=False: self.open_lesson())
        lessons_menu = host.menu("lessons")
        _insert_after(host.menu("file"), lessons_menu.menuAction(), self.open_action)

        self.bundled_action = QAction("&Start the Bundled Lesson", window)
        self.bundled_action.setStatusTip(
            "What a 1×1 convolution does, in slides (Right / PageDown for the next one)"
        )
        self.bundled_action.triggered.connect(
            lambda _=False: self.open_lesson(default_lesson_path())
        )
        self.next_action = QAction("&Next Slide\tRight, PgDown, Space", window)
        self.next_action.triggered.connect(lambda _=False: self.next())
        self.previous_action = QAction("&Previous Slide\tLeft, PgUp", window)
        self.previous_action.triggered.connect(lambda _=False: self.previous())
        self.stop_action = QAction("&End Lesson", window)
        self.stop_action.triggered.connect(lambda _=False: self.stop())
        menu: QMenu = lessons_menu
        first = menu.actions()[0] if menu.actions() else None
        for action in (
            self.bundled_action,
            self.next_action,
            self.previous_action,
            self.stop_action,
        ):
            menu.insertAction(first, action)
        menu.insertSeparator(first)
        menu.setEnabled(True)
        self._update_actions()

        host.document.path_changed.connect(self._on_path_changed)
        # the slide keys' filter is on the application only while a lesson is open

    # ------------------------------------------------------------------ public
    @property
    def active(self) -> bool:
        """Whether a lesson is open."""
        return self.lesson is not None

    def caption(self) -> str:
        """The caption bar's text (plain)."""
        return self.caption_bar.text() if self.active else ""

    def open_lesson(self, path: str | Path | None = None) -> bool:
        """Open the lesson at ``path`` (a folder, a ``lesson.json``, or one of a folder's
        scene files, which starts there); asks for one when None."""
        if path is None:
            start = str(self.lesson.folder if self.lesson else default_lesson_path())
            chosen, _ = QFileDialog.getOpenFileName(
                self.window,
                "Open Lesson (its lesson.json, or any scene of its folder)",
                start,
                "Lessons and scenes (*.json)",
            )
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        start_at = None
        if path.is_file() and path.name != INDEX_NAME and not (path.parent / INDEX_NAME).exists():
            start_at, path = path.resolve(), path.parent
        elif path.is_file() and path.name != INDEX_NAME:
            start_at, path = path.resolve(), path.parent / INDEX_NAME
        try:
            lesson = load_lesson(path)
        except ExplorerError as err:
            self.host.report_error("Cannot open the lesson", str(err))
            return False
        index = lesson.slides.index(start_at) if start_at in lesson.slides else 0
        return self.start(lesson, index)

    def start(self, lesson: Lesson, index: int = 0) -> bool:
        """Show slide ``index`` of ``lesson``; False (nothing changed) when the user keeps
        unsaved changes or the slide cannot be loaded."""
        if not self._may_leave_scene():
            return False
        previous = self.lesson, self.index
        self.lesson = lesson
        if not self._load(index):
            self.lesson, self.index = previous
            return False
        self._filter_keys(True)
        self.host.show_status(
            f"Lesson: {lesson.title} — Right / PageDown / Space for the next slide", 8000
        )
        return True

    def go(self, index: int) -> bool:
        """Show slide ``index`` (clamped to the lesson); False when no lesson is open, the
        index is the current slide, or the slide cannot be loaded."""
        if self.lesson is None:
            return False
        index = max(0, min(int(index), len(self.lesson) - 1))
        if index == self.index and self.host.document.path == self.lesson.slides[index]:
            return False
        if not self._may_leave_scene():
            return False
        return self._load(index)

    def next(self) -> bool:
        """The next slide."""
        return self.go(self.index + 1)

    def previous(self) -> bool:
        """The previous slide."""
        return self.go(self.index - 1)

    def first(self) -> bool:
        """The first slide."""
        return self.go(0)

    def last(self) -> bool:
        """The last slide."""
        return self.go(len(self.lesson) - 1) if self.lesson else False

    def stop(self) -> None:
        """End the lesson (the current slide's scene stays open)."""
        if self.lesson is None:
            return
        self.lesson, self.index = None, -1
        self._filter_keys(False)
        self.caption_bar.setVisible(False)
        if not self._presenting():
            self.host.maps_view.set_page_size(NORMAL_PAGE_SIZE)
        self._update_actions()
        self.slide_changed.emit(-1)

    # ------------------------------------------------------------------ internals
    def _filter_keys(self, on: bool) -> None:
        """See the window's key presses (application-wide, before its focused widget) while
        a lesson is open; outside a lesson nothing calls Python for every event."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
            if on:
                app.installEventFilter(self)

    def _is_slide(self, path: Path | None) -> bool:
        return (
            self.lesson is not None
            and path is not None
            and Path(path).resolve() in self.lesson.slides
        )

    def _may_leave_scene(self) -> bool:
        """Only a scene of the user's own may need saving; a slide is simply left."""
        if self._is_slide(self.host.document.path):
            return True
        return self.host.maybe_save()

    def _load(self, index: int) -> bool:
        from explorer.core.io.scene import load_scene

        path = self.lesson.slides[index]
        try:
            scene = load_scene(path)
        except (ExplorerError, OSError) as err:
            message = str(err) if isinstance(err, ExplorerError) else f"{path}: {err}"
            self.host.report_error("Cannot show the slide", message)
            return False
        self.index = index
        self.host.document.reset(scene, path)
        layer = self.lesson.layer_of(index)  # the layer the slide is about (from 1)
        if 0 < layer <= len(scene.layers):
            self.host.document.select(layer - 1)
        self.caption_bar.set_slide(
            index + 1, len(self.lesson), scene.title or path.stem.replace("_", " "), scene.caption
        )
        self.caption_bar.setVisible(True)
        if not self._presenting():  # fewer, larger tiles for a room (presenting: fewer still)
            self.host.maps_view.set_page_size(SLIDE_PAGE_SIZE)
        self._update_actions()
        self._open_tool(self.lesson.tool_of(index))
        self.slide_changed.emit(index)
        return True

    def _open_tool(self, entry: tuple[str, dict] | None) -> None:
        """Close the tool the last slide opened; open the one this slide names (a tool
        answers to its ``slide_name`` and gets the options in ``show_for_slide``)."""
        previous, self._slide_tool = self._slide_tool, None
        if previous is not None and hasattr(previous, "close_for_slide"):
            previous.close_for_slide()
        if entry is None:
            return
        name, options = entry
        from explorer.ui.tools import TOOL_NAMES

        for tool in filter(None, map(self.host.tool, TOOL_NAMES)):
            if getattr(tool, "slide_name", None) == name:
                tool.show_for_slide(options)
                self._slide_tool = tool
                return
        self.host.show_status(
            f"This slide opens the tool {name!r}, which this "
            "version of Conv Explorer does not have",
            8000,
        )

    def _update_actions(self) -> None:
        for action in (self.next_action, self.previous_action, self.stop_action):
            action.setEnabled(self.active)

    def _on_path_changed(self, path: object) -> None:
        if self.lesson is not None and not self._is_slide(path):
            self.stop()  # another scene was opened: the lesson is over
        if self.lesson is None:  # a scene opened on its own still says what it shows
            scene = self.host.document.scene
            if path is not None and scene.caption:
                self.caption_bar.set_scene(scene.title, scene.caption)
            self.caption_bar.setVisible(path is not None and bool(scene.caption))

    def _presenting(self) -> bool:
        presentation = self.host.tool("presentation")
        return bool(getattr(presentation, "active", False))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        """Slide keys, before the focused widget of the window sees them."""
        if (
            self.lesson is None
            or event.type() != QEvent.Type.KeyPress
            or not isinstance(event, QKeyEvent)
            or event.key() not in _KEYS
            or not isinstance(watched, QWidget)
            or watched.window() is not self.window
        ):
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers != Qt.KeyboardModifier.NoModifier:
            return False
        if not self._presenting() and is_text_entry(QApplication.focusWidget()):
            return False
        key = event.key()
        if key in _NEXT:
            self.next()
        elif key in _PREVIOUS:
            self.previous()
        elif key == Qt.Key.Key_Home:
            self.first()
        else:
            self.last()
        return True


def _insert_after(menu: QMenu, anchor: QAction, action: QAction) -> None:
    actions = menu.actions()
    position = actions.index(anchor) + 1 if anchor in actions else len(actions)
    menu.insertAction(actions[position] if position < len(actions) else None, action)


def install(host: ToolHost) -> SlideShow:
    """Add lessons as slides to the window of ``host`` (File menu, keys, caption bar)."""
    return SlideShow(host)
