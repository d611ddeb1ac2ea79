"""A seeded "monkey": random user actions on the real MainWindow, offscreen.

It edits layer fields (extreme values too), adds, removes, duplicates and moves layers, inserts
blocks, applies weight presets, edits single weights, presses keys, triggers every menu action
(presentation mode, lessons, exports, undo/redo, samples…), opens odd and broken files, pastes
images, changes the random input's shape, and saves the scene then opens the saved file again.

It fails on nothing itself; it *records*:

* ``exceptions``: every exception that reached ``sys.excepthook`` or ``threading.excepthook``
  (what a user would see as the crash dialog), with the action that was running;
* ``saved`` / ``reopened`` / ``unreopenable``: files it saved and whether the window opened
  each one again;
* ``stalls``: the gaps between ticks of a 10 ms timer on the GUI thread (the longest is the
  longest freeze a user would feel) and the actions that ran during the longest ones;
* ``unpainted``: the moments the window, asked for a repaint, did not paint within a second
  although it could (:class:`paint_probe.PaintProbe`): a window that looks frozen.

Used by ``tests/robustness/test_monkey.py`` (a short seeded run) and
``benchmarks/bench_monkey.py`` (long runs with a stall watchdog).
"""

from __future__ import annotations

import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nasty_files
from lock_holders import FrameGraveyard, LockWait, LockWaits, all_stacks, short_frame
from paint_probe import PaintProbe
from PySide6.QtCore import QElapsedTimer, QEventLoop, QMimeData, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QWidget

__all__ = ["Monkey", "MonkeyReport", "make_monkey_window"]

#: Menu actions the monkey never triggers: they end the session or open native dialogs that
#: are not patched (the file dialogs are patched below).
_SKIP_ACTIONS = {"&Quit"}
_KINDS = ("standard", "pointwise", "depthwise", "separable")
_KEYS = (
    Qt.Key.Key_Escape,
    Qt.Key.Key_Right,
    Qt.Key.Key_Left,
    Qt.Key.Key_Space,
    Qt.Key.Key_PageDown,
    Qt.Key.Key_Delete,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_F5,
    Qt.Key.Key_Return,
    Qt.Key.Key_Tab,
    Qt.Key.Key_5,
    Qt.Key.Key_Minus,
)
_MODS = (
    Qt.KeyboardModifier.NoModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ShiftModifier,
)


def idle_wait(ms: int) -> None:
    """Let the event loop run for ``ms`` as a user's idle window does.

    Not ``QTest.qWait``: PySide keeps the interpreter lock while it sleeps between its
    rounds of events, so a worker (a run importing torch, the scene loader) gets it only
    when the GUI thread next runs Python — the first run then took 5-20 s instead of 1.
    """
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


@dataclass
class MonkeyReport:
    """What one monkey run saw (see the module docstring)."""

    seed: int
    actions: int = 0
    exceptions: list[str] = field(default_factory=list)
    saved: int = 0
    reopened: int = 0
    unreopenable: list[str] = field(default_factory=list)
    stalls: list[tuple[float, str]] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    unpainted: list[str] = field(default_factory=list)

    @property
    def longest_stall_ms(self) -> float:
        return max((s for s, _ in self.stalls), default=0.0)

    def top_stalls(self, n: int = 5) -> list[tuple[float, str]]:
        return sorted(self.stalls, reverse=True)[:n]

    def summary(self) -> str:
        top = ", ".join(f"{ms:.0f} ms ({what})" for ms, what in self.top_stalls(3))
        return (
            f"seed {self.seed}: {self.actions} actions in {self.seconds:.0f} s, "
            f"{len(self.exceptions)} exceptions, saved {self.saved}, reopened "
            f"{self.reopened}, unreopenable {len(self.unreopenable)}, "
            f"unpainted {len(self.unpainted)}, longest stall "
            f"{self.longest_stall_ms:.0f} ms; worst: {top}"
        )


def monkey_scene():
    """The scene the benchmarks' monkey windows start from: a standard conv to 8 channels,
    a depthwise and a pointwise layer, on the default input."""
    from explorer.core.io.scene import Scene
    from explorer.core.model.specs import default_spec

    return Scene(
        layers=(
            default_spec("standard", out_channels=8),
            default_spec("depthwise"),
            default_spec("pointwise"),
        )
    )


def make_monkey_window(scene, folder: Path):
    """A shown MainWindow on ``scene`` with settings in ``folder`` and no autosave; its first
    run starts after its first paint, as the app's does (``run_app``)."""
    from explorer.core.model.document import SceneDocument
    from explorer.ui.state.settings import AppSettings, make_qsettings
    from explorer.ui.window.first_paint import first_run_after_first_paint
    from explorer.ui.window.main_window import MainWindow

    win = MainWindow(
        SceneDocument(scene),
        AppSettings(make_qsettings(folder / "s.ini"), write_behind=True),  # as the app's
        autosave=False,
    )
    first_run_after_first_paint(win)
    win.resize(1280, 720)
    win.show()
    return win


def _button_key(button) -> tuple:
    """A stable order of buttons (``findChildren``'s follows creation and may vary)."""
    return (button.window().objectName(), type(button).__name__, button.text(), button.toolTip())


class Monkey:
    """Drive ``window`` with random actions from ``random.Random(seed)``.

    Parameters
    ----------
    window
        A shown :class:`~explorer.ui.window.main_window.MainWindow`.
    folder
        Where the monkey writes its files (nasty inputs, saved scenes, exports).
    seed
        The seed of every choice.
    stall_ms
        Gaps of the heartbeat timer longer than this are recorded as stalls.
    watchdog
        Called with ``(ms, what)`` for every stall (the benchmark prints them).
    clicks
        Also click random enabled buttons of the window and its docks and tool windows
        (Start, Play, Apply, check boxes…); off by default, so that a seed takes the path
        its measurements were made on.
    """

    def __init__(
        self,
        window,
        folder: Path,
        seed: int,
        *,
        stall_ms: float = 100.0,
        watchdog: Callable[[float, str], None] | None = None,
        clicks: bool = False,
    ) -> None:
        self.win = window
        #: also click random buttons (off by default: the seeds' paths stay those measured)
        self.clicks = clicks
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rng = random.Random(seed)
        #: the choices made inside an open popup menu (kept apart: when a popup opens depends
        #: on timing, and ``rng`` must make the same choices on every run of a seed)
        self._popup_rng = random.Random(seed + 1_000_003)
        self._popup_since: float | None = None
        self._modal_since: float | None = None
        self.report = MonkeyReport(seed)
        self.stall_ms = stall_ms
        self.watchdog = watchdog
        #: gaps over this also reach ``watchdog`` (a profile of shorter stalls)
        self.profile_ms = stall_ms
        self._current = "start"
        self.beats: list[Callable[[], None]] = []
        #: A text file that gets a line per step (see bench_monkey.py --trace).
        self.trace = None
        self._during: list[str] = []
        self._saves = 0
        self._files = self._make_files()
        self._scenes: list[Path] = [
            nasty_files.heavy_scene(self.folder, layers=6, size=64, channels=32)
        ]

    # ------------------------------------------------------------------ setup
    def _make_files(self) -> list[Path]:
        nasty = self.folder / "nasty"
        nasty.mkdir(exist_ok=True)
        makers = [
            nasty_files.truncated_png,
            nasty_files.truncated_jpeg,
            nasty_files.empty_file,
            nasty_files.text_as_png,
            nasty_files.random_bytes_as_jpeg,
            nasty_files.scene_json_as_png,
            nasty_files.huge_header_png,
            nasty_files.missing_path,
            nasty_files.a_directory,
            nasty_files.sixteen_bit,
            nasty_files.one_pixel,
            nasty_files.very_wide,
            nasty_files.very_tall,
            nasty_files.cmyk_jpeg,
            nasty_files.palette_transparent,
            nasty_files.rgba,
            nasty_files.animated_gif,
            nasty_files.exif_rotated,
        ]
        files = [make(nasty) for make in makers]
        for name, (doc, _) in list(nasty_files.bad_scene_texts(nasty).items()):
            files.append(nasty_files.write_bad_scene(nasty, name, doc))
        return files

    def _patch_dialogs(self) -> Callable[[], None]:
        """Native dialogs answer from the monkey's pools; returns the undo function."""
        rng, old = self.rng, {}

        def open_name(*_args, **_kw):
            pool = self._files + self._scenes
            return (str(rng.choice(pool)), "") if rng.random() < 0.9 else ("", "")

        def save_name(*_args, **_kw):
            return (str(self._next_save_path()), "") if rng.random() < 0.9 else ("", "")

        def get_int(*args, **_kw):
            return (rng.choice([1, 160, 640, 1920, 4000]), rng.random() < 0.8)

        for owner, name, fake in (
            (QFileDialog, "getOpenFileName", open_name),
            (QFileDialog, "getSaveFileName", save_name),
            (QInputDialog, "getInt", get_int),
        ):
            old[(owner, name)] = getattr(owner, name)
            setattr(owner, name, staticmethod(fake))
        files = self.win.files
        files.ask_save = lambda: rng.choice(
            [QMessageBox.StandardButton.Discard] * 3 + [QMessageBox.StandardButton.Cancel]
        )

        def undo() -> None:
            for (owner, name), value in old.items():
                setattr(owner, name, value)

        return undo

    def _next_save_path(self) -> Path:
        self._saves += 1
        return self.folder / f"saved_{self._saves}.json"

    # ------------------------------------------------------------------ hooks
    def _record(self, kind: str, exc_type, exc, tb) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        self.report.exceptions.append(f"[{kind} during {self._current}] {text}")

    #: how long a popup menu stays open before the monkey chooses in it (ms)
    POPUP_MS = 150.0

    def _answer_popup(self) -> None:
        """Choose an item of an open popup menu, or close it (any popup), as a user would.

        A key or click on a tool button with an instant popup (Add ▾, Presets ▾, Export ▾)
        opens its menu in a nested event loop that returns only when the menu closes; the
        monkey's own step is waiting inside that key press, so the heartbeat answers it.
        """
        from PySide6.QtWidgets import QMenu

        popup = QApplication.activePopupWidget()
        if popup is None or not popup.isVisible():
            self._popup_since = None
            self._answer_modal()
            return
        now = time.perf_counter()
        if self._popup_since is None:
            self._popup_since = now
            return
        if (now - self._popup_since) * 1000.0 < self.POPUP_MS:
            return
        self._popup_since = None
        items = [a for a in popup.actions() if a.isEnabled() and not a.isSeparator()]
        items = items if isinstance(popup, QMenu) else []  # a combo box's list: closed
        items = [a for a in items if a.menu() is None and a.text() not in _SKIP_ACTIONS]
        if items and self._popup_rng.random() < 0.7:
            action = self._popup_rng.choice(items)
            self._note(f"popup {action.text().replace('&', '').split(chr(9))[0]}")
            popup.close()
            action.trigger()
        else:
            self._note("popup closed")
            popup.close()

    #: how long a modal dialog may stay open before the heartbeat answers it (ms): one
    #: run with ``exec()`` holds the monkey's step inside the click that opened it
    MODAL_MS = 1500.0

    def _answer_modal(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            self._modal_since = None
            return
        now = time.perf_counter()
        if self._modal_since is None:
            self._modal_since = now
        elif (now - self._modal_since) * 1000.0 >= self.MODAL_MS:
            self._modal_since = None
            self._close_message_boxes(self._popup_rng)

    def _on_tick(self) -> None:
        for beat in self.beats:
            beat()
        self._answer_popup()
        self._paint_probe.check(self._since_start.elapsed(), f"after {self._current}")
        elapsed = self._clock.restart()
        gap = elapsed - self._tick_ms
        if gap > min(self.stall_ms, self.profile_ms):
            what = "+".join(dict.fromkeys(self._during)) or "idle (results arriving)"
            what += f", action {self.report.actions}"  # early ones: torch still importing
            if gap > self.stall_ms:
                self.report.stalls.append((float(gap), what))
            if self.watchdog is not None:
                self.watchdog(float(gap), what)
        self._during = []

    # ------------------------------------------------------------------ running
    def run(
        self,
        *,
        actions: int | None = None,
        seconds: float | None = None,
        pause_ms: tuple[int, int] = (0, 120),
    ) -> MonkeyReport:
        """Perform random actions until ``actions`` were done or ``seconds`` passed."""
        app = QApplication.instance()
        undo_dialogs = self._patch_dialogs()
        old_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = lambda t, e, tb: self._record("excepthook", t, e, tb)
        threading.excepthook = lambda a: self._record(
            f"thread {a.thread.name if a.thread else '?'}", a.exc_type, a.exc_value, a.exc_traceback
        )
        self._tick_ms = 10
        self._clock = QElapsedTimer()
        self._clock.start()
        self._since_start = QElapsedTimer()
        self._since_start.start()
        self._paint_probe = PaintProbe(self.win)
        self._paint_probe.misses = self.report.unpainted
        heartbeat = QTimer()
        heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        heartbeat.setInterval(self._tick_ms)
        heartbeat.timeout.connect(self._on_tick)
        heartbeat.start()
        loop = QEventLoop()
        start = time.perf_counter()

        def step() -> None:
            done = (actions is not None and self.report.actions >= actions) or (
                seconds is not None and time.perf_counter() - start >= seconds
            )
            if done or not self.win.isVisible():
                loop.quit()
                return
            self.act()
            QTimer.singleShot(self.rng.randint(*pause_ms), step)

        try:
            QTimer.singleShot(0, step)
            loop.exec()
            self._settle()
        finally:
            heartbeat.stop()
            # the pasted images' QMimeData are Python objects the clipboard owns: left there,
            # Qt deletes the last one at process exit, after Python has ended: a SIGSEGV in
            # Shiboken::Object::destroy that turns a passing test run's exit code into 139
            QApplication.clipboard().clear()
            sys.excepthook, threading.excepthook = old_hooks
            undo_dialogs()
            self.report.seconds = time.perf_counter() - start
            assert app is not None
        return self.report

    def _settle(self, timeout_s: float = 30.0) -> None:
        """Cancel the run in flight and wait until no worker is left."""
        ctrl = self.win.controller
        ctrl.cancel()
        end = time.perf_counter() + timeout_s
        while ctrl.worker_running and time.perf_counter() < end:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def act(self) -> None:
        """One random action (weighted)."""
        choices: list[tuple[float, Callable[[], None]]] = [
            (6, self.edit_field),
            (2, self.extreme_field),
            (2, self.add_layer),
            (1.5, self.remove_layer),
            (1, self.duplicate_layer),
            (1, self.move_layer),
            (2, self.select_layer),
            (6, self.menu_action),
            (3, self.key),
            (1.5, self.open_file),
            (2, self.save_and_reopen),
            (2, self.weight_edit),
            (1, self.paste_image),
            (1.5, self.input_shape),
            (1, self.undo_redo),
            (2, self.wait),
        ]
        if self.clicks:
            choices.append((4, self.click_button))
        weights = [w for w, _ in choices]
        action = self.rng.choices([a for _, a in choices], weights)[0]
        self._current = action.__name__
        self.report.actions += 1
        name = action.__name__
        self.report.counts[name] = self.report.counts.get(name, 0) + 1
        try:
            action()
        except Exception:  # an exception out of a slot we called: the event loop's
            self._record("direct", *sys.exc_info())
        self._close_message_boxes()

    # ------------------------------------------------------------------ the actions
    def _note(self, what: str) -> None:
        self._current = what
        self._during.append(what)
        if self.trace is not None:  # what ran last, even if the process dies
            self.trace.write(f"{self.report.actions} {what}\n")
            self.trace.flush()

    def _select_some(self) -> int:
        doc = self.win.document
        if not doc.layers:
            return -1
        i = self.rng.randrange(len(doc.layers))
        doc.select(i)
        return i

    def edit_field(self, extreme: bool = False) -> None:
        """Set one control of the layer editor, as typing into it does."""
        if self._select_some() < 0:
            return
        controls = getattr(self.win.layer_editor, "controls", {})
        if not controls:
            return
        name = self.rng.choice(sorted(controls))
        control = controls[name]
        self._note(f"edit {name}{' (extreme)' if extreme else ''}")
        rng = self.rng
        from explorer.ui.widgets import PaddingControl, PairSpinBox

        if isinstance(control, PairSpinBox):
            hi = 1024 if extreme else 9
            control.setValue((rng.randint(1, hi), rng.randint(1, hi)))
        elif isinstance(control, PaddingControl):
            control.setValue(
                "same" if rng.random() < 0.3 else rng.randint(0, 600 if extreme else 4)
            )
        elif hasattr(control, "setChecked"):
            control.setChecked(not control.isChecked())
        elif hasattr(control, "setCurrentIndex"):
            control.setCurrentIndex(rng.randrange(control.count()))
        elif isinstance(control.minimum(), float):  # a real number (a slope, an epsilon…)
            lo, hi = control.minimum(), control.maximum()
            value = (
                rng.choice([lo, hi, rng.uniform(lo, min(hi, 4096.0))])
                if extreme
                else (rng.choice([0.0, 0.01, 0.1, 0.5, 1.0, 2.0]))
            )
            control.setValue(max(lo, min(hi, value)))
        else:
            lo, hi = control.minimum(), control.maximum()
            value = (
                rng.choice([lo, hi, rng.randint(lo, min(hi, 4096))])
                if extreme
                else (rng.choice([1, 2, 3, 4, 8, 16, 32, 64, 128]))
            )
            control.setValue(max(lo, min(hi, value)))

    def extreme_field(self) -> None:
        self.edit_field(extreme=True)

    def add_layer(self) -> None:
        kind = self.rng.choice(_KINDS)
        self._note(f"add {kind}")
        self.win.layer_panel.add_layer(kind)

    def remove_layer(self) -> None:
        self._select_some()
        self._note("remove layer")
        self.win.layer_panel.remove_action.trigger()

    def duplicate_layer(self) -> None:
        self._select_some()
        self._note("duplicate layer")
        self.win.layer_panel.duplicate_action.trigger()

    def move_layer(self) -> None:
        self._select_some()
        self._note("move layer")
        panel = self.win.layer_panel
        self.rng.choice([panel.move_up_action, panel.move_down_action]).trigger()

    def select_layer(self) -> None:
        doc = self.win.document
        self._note("select")
        doc.select(self.rng.randrange(-1, len(doc.layers)) if doc.layers else -1)

    def _menu_actions(self) -> list:
        found, seen = [], set()

        def walk(menu) -> None:
            for action in menu.actions():
                if id(action) in seen:
                    continue
                seen.add(id(action))
                if action.menu() is not None:
                    walk(action.menu())
                elif not action.isSeparator() and action.text() not in _SKIP_ACTIONS:
                    found.append(action)

        for top in self.win.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu())
        return found

    def menu_action(self) -> None:
        """Any menu item (only enabled ones: a user cannot click a disabled item)."""
        self._select_some() if self.rng.random() < 0.5 else None
        actions = [a for a in self._menu_actions() if a.isEnabled()]
        if not actions:
            return
        action = self.rng.choice(actions)
        self._note(f"menu {action.text().replace('&', '').split(chr(9))[0]}")
        action.trigger()

    #: buttons the monkey never clicks (they end the run, not test the window)
    _SKIP_BUTTONS = ("Quit",)

    def click_button(self) -> None:
        """Click a random visible, enabled button of any top-level window of the app."""
        from PySide6.QtWidgets import QAbstractButton

        buttons = [
            b
            for top in QApplication.topLevelWidgets()
            if top.isVisible()
            for b in top.findChildren(QAbstractButton)
            if b.isVisible()
            and b.isEnabled()
            and b.window().isVisible()
            and not any(word in b.text() for word in self._SKIP_BUTTONS)
        ]
        if not buttons:
            return
        button = self.rng.choice(sorted(buttons, key=_button_key))
        self._note(f"click {type(button).__name__} {button.text() or button.toolTip()[:30]}")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def key(self) -> None:
        key, mod = self.rng.choice(_KEYS), self.rng.choice(_MODS)
        target = QApplication.focusWidget() or self.win
        self._note(f"key {QTest.__name__ and key.name}+{mod.name}")
        if isinstance(target, QWidget) and target.isVisible():
            QTest.keyClick(target, key, mod)

    def open_file(self) -> None:
        path = self.rng.choice(self._files + self._scenes)
        self._note(f"open {path.name}")
        self.win.files.open_path(path, background=True)  # as a drop does

    def save_and_reopen(self) -> None:
        """Save As, then open the saved file again: it must open."""
        path = self._next_save_path()
        self._note("save")
        # as File ▸ Save As does it: encoded and written on the writer's thread
        files = self.win.files
        outcomes: list[object] = []
        files.writer.written.connect(outcomes.append)
        files.writer.failed.connect(outcomes.append)
        try:
            if not files.save_as(path, background=True):
                return
            end = time.perf_counter() + 30.0
            while not outcomes and time.perf_counter() < end:
                idle_wait(10)
        finally:
            files.writer.written.disconnect(outcomes.append)
            files.writer.failed.disconnect(outcomes.append)
        if not outcomes or getattr(outcomes[0], "error", None) is not None:
            return  # refused with a message (e.g. too big to save), as before
        self.report.saved += 1
        self._scenes.append(path)
        self._note("reopen")
        # as File ▸ Open does it: read and checked on the loader's worker (a scene with
        # big hand-set weights is 0.1-0.2 s of JSON), the heartbeat ticking meanwhile
        got: list[object] = []
        files.loader.finished.connect(got.append)
        try:
            if not files.open_scene(path, background=True):
                got.append(RuntimeError("the open was refused before reading"))
            end = time.perf_counter() + 30.0
            while not got and time.perf_counter() < end:
                idle_wait(10)
        finally:
            files.loader.finished.disconnect(got.append)
        result = got[0] if got else TimeoutError("not read within 30 s")
        if isinstance(result, BaseException):
            self.report.unreopenable.append(f"{path.name}: {result}")
        else:
            self.report.reopened += 1

    def _last_message(self) -> str:
        box = getattr(self.win.files, "error_box", None)
        return box.text() if box is not None else self.win.statusBar().currentMessage()

    def weight_edit(self) -> None:
        """Click a weight and type a value, or open the table, or a preset from the bar."""
        if self._select_some() < 0:
            return
        tools = self.win.tools.get("weight_tools")
        if tools is None:
            return
        choice = self.rng.random()
        panels = self.win.weight_view.panels()
        if choice < 0.5 and panels:
            target = self.rng.choice(sorted(panels))
            index = tuple(self.rng.randint(0, 3) for _ in range(1 if "bias" in target else 4))
            self._note(f"set weight {target}")
            tools.set_weight(target, index, self.rng.choice([0.0, 1.0, -2.5, 1e5]))
        elif choice < 0.7:
            self._note("edit weights table")
            dialog = tools.edit_table()
            if dialog is not None:
                dialog.close()
        else:
            from explorer.core.model.presets import KERNEL_PRESETS, POINTWISE_PRESETS

            name = self.rng.choice(sorted({*KERNEL_PRESETS, *POINTWISE_PRESETS}))
            self._note(f"preset {name}")
            tools.apply_preset(name)

    def paste_image(self) -> None:
        w, h = self.rng.choice([(1, 1), (64, 48), (640, 480), (3000, 20)])
        image = QImage(w, h, QImage.Format.Format_RGB32)
        image.fill(self.rng.randrange(1 << 24))
        mime = QMimeData()
        mime.setImageData(image)
        QApplication.clipboard().setMimeData(mime)
        self._note(f"paste {w}x{h}")
        self.win.actions.paste_image.trigger()

    def input_shape(self) -> None:
        """Switch to the random tensor and change C, H or W (the input panel's boxes)."""
        panel = self.win.input_panel
        doc = self.win.document
        if doc.scene.input.shape is None and self.rng.random() < 0.5:
            self._note("input random")
            from dataclasses import replace

            doc.set_input(replace(doc.scene.input, image=None, shape=(3, 32, 32)))
            return
        box = self.rng.choice(panel.shape_boxes)
        value = self.rng.choice([1, 3, 16, 64, 512, 2048, 4096])
        self._note(f"input shape {value}")
        box.setValue(max(box.minimum(), min(box.maximum(), value)))

    def undo_redo(self) -> None:
        for _ in range(self.rng.randint(1, 4)):
            action = self.rng.choice([self.win.actions.undo, self.win.actions.redo])
            self._note(action.text().replace("&", ""))
            if action.isEnabled():
                action.trigger()

    def wait(self) -> None:
        self._note("wait")
        idle_wait(self.rng.randint(50, 600))

    def _close_message_boxes(self, rng: random.Random | None = None) -> None:
        """Close message boxes; accept or close other dialogs (a block's, the table's…)."""
        from PySide6.QtWidgets import QDialog

        rng = self.rng if rng is None else rng
        for widget in QApplication.topLevelWidgets():
            if not widget.isVisible():
                continue
            if isinstance(widget, QMessageBox):
                widget.close()
            elif isinstance(widget, QDialog):
                self._note(f"dialog {type(widget).__name__}")
                if rng.random() < 0.5:
                    widget.accept()
                else:
                    widget.reject()


class StallWatchdog:
    """A thread that prints the GUI thread's stack when its heartbeat stops for ``limit_ms``.

    Call :meth:`beat` from a GUI-thread timer; :meth:`stop` at the end.
    """

    def __init__(
        self, limit_ms: float = 500.0, out=None, *, profile_ms: float | None = None
    ) -> None:
        self.limit = limit_ms / 1000.0
        #: with ``profile_ms``: the GUI thread's stack every 4 ms while it is 12 ms late,
        #: kept per stall longer than ``profile_ms`` (see :meth:`on_stall`)
        self.profile_ms = profile_ms
        self._stacks: list[tuple[str, ...]] = []  # the current gap's samples
        self._last_stacks: list[tuple[str, ...]] = []  # the gap that just ended
        #: (gap ms, action, stacks) of every stall over ``profile_ms``
        self.profiles: list[tuple[float, str, list[tuple[str, ...]]]] = []
        #: per kept stall (as ``profiles``): the sampler's late wake-ups in it, each with
        #: the CPU every thread used meanwhile and their stacks (who held the lock)
        self.lock_waits: list[list[LockWait]] = []
        self._waits: list[LockWait] = []  # the current gap's
        self._last_waits: list[LockWait] = []
        #: frame objects the watchdog thread read, dropped by :meth:`beat` (GUI thread)
        self.graveyard = FrameGraveyard()
        self._lock_waits = LockWaits(graveyard=self.graveyard)
        self.out = out or sys.stderr
        self._last = time.perf_counter()
        self._reported = False
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self.dumps: list[str] = []
        #: innermost project frame of the GUI thread → 0.1 s samples taken while stalled
        self.samples: dict[str, int] = {}
        self._thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        self._last = time.perf_counter()
        self.graveyard.empty()  # here, on the GUI thread (see main_stack)
        self._reported = False
        self._last_stacks, self._stacks = self._stacks, []
        self._last_waits, self._waits = self._waits, []

    def on_stall(self, gap_ms: float, what: str) -> None:
        """The monkey's hook for a gap that just ended: keep its samples if it was long."""
        if self.profile_ms is not None and gap_ms > self.profile_ms and self._last_stacks:
            self.profiles.append((gap_ms, what, self._last_stacks))
            self.lock_waits.append(self._last_waits)
        self._last_stacks, self._last_waits = [], []

    def profile_report(self, top: int = 40) -> str:
        """Inclusive samples per function over every kept stall, then each stall's
        innermost frames of this project (what a stall was doing)."""
        total: dict[str, int] = {}
        lines = []
        holders: dict[str, float] = {}
        kept = sorted(zip(self.profiles, self.lock_waits, strict=True), key=lambda p: -p[0][0])
        for (gap, what, stacks), waits in kept:
            inner: dict[str, int] = {}
            for stack in stacks:
                for name in dict.fromkeys(stack):
                    total[name] = total.get(name, 0) + 1
                ours = [n for n in stack if n.startswith("explorer/")]
                key = " > ".join(ours[-2:]) + (
                    f" > {stack[-1]}" if stack and (not ours or stack[-1] != ours[-1]) else ""
                )
                inner[key] = inner.get(key, 0) + 1
            lines.append(f"  {gap:.0f} ms, {len(stacks)} samples, {what}")
            for key, n in sorted(inner.items(), key=lambda kv: -kv[1])[:4]:
                lines.append(f"      {n:3d} {key}")
            # the sampler could not run: who held the interpreter lock (the longest waits)
            for wait in sorted(waits, key=lambda w: -w.waited_ms)[:2]:
                lines.extend(wait.lines())
            for wait in waits:
                holders[wait.holder] = holders.get(wait.holder, 0.0) + wait.waited_ms
        head = [f"stalls over {self.profile_ms:.0f} ms: {len(self.profiles)}; inclusive samples:"]
        head += [
            f"  {n:5d} {name}" for name, n in sorted(total.items(), key=lambda kv: -kv[1])[:top]
        ]
        if holders:
            head.append("sampler waits (the lock held elsewhere), ms by the thread that ran most:")
            head += [
                f"  {ms:7.0f} {name}" for name, ms in sorted(holders.items(), key=lambda kv: -kv[1])
            ]
        return "\n".join(head + lines)

    def main_stack(self) -> list[traceback.FrameSummary]:
        """The GUI thread's stack (outermost first), as text.

        The frame objects it is read from stay in :attr:`graveyard` until the GUI thread's
        next :meth:`beat` (or :meth:`stop`): a frame object kept after its function
        returned keeps that function's locals alive, and this thread dropping it would
        destroy them *here* — Qt objects among them. A QObject destroyed off its thread
        cannot stop its timers, which later fire on the freed object: the SIGSEGV in
        ``QTimerInfoList::activateTimers`` that long monkey runs met after the slow first
        build of the comparison window or the Inspector (stalls the watchdog sampled).
        Read through ``sys._current_frames`` (under the interpreter's thread-list lock),
        not :mod:`faulthandler`, which walks other threads' states unlocked (the profiled
        runs' segfaults; see :mod:`lock_holders`).
        """
        return all_stacks(self.graveyard).get(self._main, [])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        if not self._thread.is_alive():
            self._lock_waits.close()
            self.graveyard.empty()  # on the calling (GUI) thread

    def _watch(self) -> None:
        poll = 0.004 if self.profile_ms is not None else 0.1
        profiling = self.profile_ms is not None
        while True:
            if profiling:
                self._lock_waits.before_sleep()
            if self._stop.wait(poll):
                break
            late = time.perf_counter() - self._last
            wait = self._lock_waits.after_sleep(poll) if profiling else None
            if profiling and late > 0.012:
                stacks, waits = self._stacks, self._waits
                frames = self.main_stack()
                stacks.append(tuple(short_frame(f) for f in frames))
                if wait is not None:
                    waits.append(wait)
            if late <= self.limit:
                continue
            frames = self.main_stack()
            # the innermost frames of this project: where the time goes
            ours = [f for f in frames if "/explorer/" in f.filename]
            where = (
                f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}"
                if ours
                else "outside explorer/"
            )
            if frames and frames[-1] is not (ours[-1] if ours else None):
                where += f" > {Path(frames[-1].filename).name}:{frames[-1].name}"
            self.samples[where] = self.samples.get(where, 0) + 1
            if not self._reported:
                self._reported = True
                stack = "".join(traceback.format_list(frames[-25:]))
                text = f"GUI thread stalled for {late * 1000:.0f} ms so far, at:\n{stack}"
                self.dumps.append(text)
                print(text, file=self.out, flush=True)
