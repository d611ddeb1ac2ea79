"""Presentation mode: full screen, every font scaled by one factor, only what a room needs.

F11 (View ▸ Presentation Mode) enters and leaves it; Esc leaves it. While it is on, the
menu and status bars, the input panel, the layer editor and the cost dock are hidden; the
layer list, the feature maps and the weights stay, with a large cost line above the maps.
Every font, the pyqtgraph axes, tick labels, titles and tile titles included, is scaled by
the factor chosen in View ▸ Presentation Scale (remembered in the settings), and the feature
maps can switch to a colour-blind-safe colour map. Leaving puts everything back.

The colour-blind map is a temporary view preference: it is applied with
``remember=False`` and never written to the user's saved colour map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from explorer.ui.tools.present.cost_line import OneLineLabel, cost_summaries, cost_summary
from explorer.ui.tools.present.font_scale import NEXT_PASS_MS, FontScaler
from explorer.ui.widgets.colormaps import is_diverging
from explorer.ui.widgets.paint_hold import resume_painting

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = [
    "SCALES",
    "OneLineLabel",
    "Presentation",
    "colorblind_colormap",
    "cost_summaries",
    "cost_summary",
    "install",
]

#: Most feature-map tiles on one page while presenting (64 otherwise).
PRESENTATION_PAGE_SIZE = 16

#: The scales offered in View ▸ Presentation Scale.
SCALES = (1.25, 1.5, 1.75, 2.0, 2.5)


def colorblind_colormap(name: str) -> str:
    """The colour-blind-safe map to use instead of ``name`` (diverging stays diverging)."""
    return "diverging-cb" if is_diverging(name) else "cividis"


class Presentation(QObject):
    """Presentation mode of the window of ``host`` (see the module's notes).

    Signals
    -------
    active_changed(bool)
        Entered (True) or left (False).
    """

    active_changed = Signal(bool)

    def __init__(self, host: ToolHost) -> None:
        window = host.widget
        super().__init__(window)
        self.host = host
        self.window = window
        self.fonts = FontScaler()
        self._saved: dict[str, object] | None = None
        self._turns = 0  # counts enters and leaves: a later turn of an older one does nothing
        self._fonts_pending = False  # entering in turns: the fonts' turn has not come yet
        # leaving in turns: what the layout's turn puts back (None when none is pending)
        self._leaving: dict[str, object] | None = None
        self._holding = False  # in turns: the window held unpainted by us until the last one
        self._floating_held: list[QWidget] = []  # floating docks held with it (_hold_floating)
        self._scale = host.settings.presentation_scale

        menu = host.menu("view")
        menu.addSeparator()
        self.toggle_action = QAction("&Presentation Mode", window, checkable=True)
        self.toggle_action.setShortcut(QKeySequence(Qt.Key.Key_F11))
        self.toggle_action.setStatusTip(
            "Full screen, large text, only the maps, weights and costs (F11 or Esc to leave)"
        )
        self.toggle_action.triggered.connect(
            lambda on: self.enter(in_turns=True) if on else self.leave(in_turns=True)
        )
        host.add_action(self.toggle_action, "view")  # works while the menu bar is hidden

        scale_menu = menu.addMenu("Presentation S&cale")
        self.scale_group = QActionGroup(window)
        self.scale_actions: dict[float, QAction] = {}
        for scale in SCALES:
            action = QAction(f"{scale:g}×", window, checkable=True)
            action.triggered.connect(lambda _=False, s=scale: self.set_scale(s))
            self.scale_group.addAction(action)
            scale_menu.addAction(action)
            self.scale_actions[scale] = action
        self._check_scale()

        self.colorblind_action = QAction(
            "Colour-Blind-Safe Colours When Presenting", window, checkable=True
        )
        self.colorblind_action.setChecked(host.settings.presentation_colorblind)
        self.colorblind_action.setStatusTip(
            "Feature maps in cividis (or blue–yellow when diverging) while presenting"
        )
        self.colorblind_action.toggled.connect(self._on_colorblind)
        menu.addAction(self.colorblind_action)

        self.cost_line = OneLineLabel()
        self.cost_line.setObjectName("PresentationCostLine")
        self.cost_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.cost_line.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.cost_line.setFont(font)
        self.cost_line.setContentsMargins(8, 2, 8, 2)
        self.cost_line.setVisible(False)
        host.add_above_maps(self.cost_line)

        # a real timer (not 0 ms): the items' turn in a later pass than the widgets' one
        self._rescale_timer = QTimer(self, singleShot=True, interval=NEXT_PASS_MS)
        self._rescale_timer.timeout.connect(self._refresh)
        c = host.run
        for signal in (c.layer_result, c.costs_changed, c.input_ready, c.spec_error):
            signal.connect(self._schedule)
        host.document.changed.connect(self._schedule)
        host.document.selection_changed.connect(self._schedule)
        host.part_changed.connect(self._schedule)
        window.destroyed.connect(self._disconnect)
        # the Esc filter is on the application only while presenting (it sees every event)

    # ------------------------------------------------------------------ public
    @property
    def active(self) -> bool:
        """Whether presentation mode is on."""
        return self._saved is not None

    @property
    def scale(self) -> float:
        """The font scale of presentation mode."""
        return self._scale

    def set_scale(self, scale: float) -> None:
        """Use ``scale`` for presentation mode (remembered); applied now when presenting."""
        self._scale = float(scale)
        self.host.settings.presentation_scale = self._scale
        self._check_scale()
        if self.active:
            # the application font now, the widgets on the next turn, the graphics items on
            # the one after: in one turn it held the GUI 20-45 ms with the docks open
            self._hold_floating()
            self.fonts.apply(self.window, self._scale, items_later=True, widgets_later=True)
            turn = self._turns
            self._next_pass(lambda: self._scale_widgets(turn))

    def _scale_widgets(self, turn: int) -> None:
        """The widgets' slice of :meth:`set_scale` (then the items', :meth:`_refresh`);
        nothing when done already (a later scale's slice, or entering's) or left since."""
        if not self.active or turn != self._turns:
            return
        self.fonts.scale_widgets(self.window)
        self._rescale_timer.start()

    def _next_pass(self, turn: object) -> None:
        """Run ``turn`` in a later pass of the event loop than this one: a heartbeat, input
        and a frame get their turn in between (``QTimer.singleShot(0)`` is a posted event:
        the turns chained with it ran back to back, 35-50 ms in one gap)."""
        QTimer.singleShot(NEXT_PASS_MS, self, turn)

    def toggle(self) -> None:
        """Enter or leave presentation mode."""
        if self.active:
            self.leave()
        else:
            self.enter()

    def enter(self, *, full_screen: bool = True, in_turns: bool = False) -> None:
        """Enter presentation mode (``full_screen=False`` keeps the window's size, for
        screenshots at a chosen size).

        ``in_turns`` (the menu item and F11): the panels hidden and the larger tiles in this
        turn, the application font in the next one (:meth:`_scale_fonts`), the widgets'
        fonts and full screen in the one after (:meth:`_scale_views`), the graphics items'
        fonts last (:meth:`_refresh`), each in a pass of the event loop of its own
        (:meth:`_next_pass`); the window is not painted in between (held here, then by the
        fonts until the graphics items are scaled), so it shows only the finished layout.
        In one turn it held the GUI thread 15-17 ms on a 23-layer scene.
        """
        if self.active:
            return
        host = self.host
        self._turns += 1  # a pending turn of leaving does nothing now
        if self._leaving is not None:  # entered again before leaving's layout turn:
            self._saved, self._leaving = self._leaving, None  # the window is still laid out
        else:  # for presenting, and what it had before is still the one to put back
            self._saved = {
                "layout": host.save_layout(),
                "colormap": host.settings.colormap,  # the user's (gray may show gray)
                "page_size": host.maps_view.page_size,
            }
        if self.colorblind_action.isChecked():
            host.set_colormap(colorblind_colormap(host.settings.colormap), remember=False)
        self.cost_line.setVisible(True)
        self._update_cost_line()
        self.window.installEventFilter(self)  # Esc: see eventFilter
        self.toggle_action.setChecked(True)
        if in_turns:
            # the panels go first, at the present fonts and unpainted: the fonts' relayout
            # (next turn) then covers only what stays visible
            self._fonts_pending = True
            self._hold()
            self._hold_floating()
            host.maps_view.set_page_size(PRESENTATION_PAGE_SIZE)  # fewer, larger tiles
            host.focus_views(stack_width=self._stack_width(), maps_share=0.55, full_screen=False)
            turn = self._turns
            self._next_pass(lambda: self._scale_fonts(turn, full_screen))
        else:
            self._let_go()  # left in turns and entered at once: painted with the fonts
            self.fonts.apply(self.window, self._scale, items_later=True)
            self._scale_views(self._turns, full_screen)
        self.active_changed.emit(True)

    def _scale_fonts(self, turn: int, full_screen: bool) -> None:
        """The application font (the second turn of an ``in_turns`` :meth:`enter`; the
        widgets, the views' sizes and full screen on the third, :meth:`_scale_views`)."""
        if not self.active or turn != self._turns:
            return  # left (Esc) before this turn, or entered again since
        self._let_go()  # held by the first turn: the fonts hold it from now on (no paint
        # before the items' turn ends)
        # the graphics items' fonts on a later turn (_refresh): entering in one turn held
        # the GUI thread 45-65 ms in monkey runs; the app font and the widgets in one turn
        # 20-27 ms with the docks open
        self.fonts.apply(self.window, self._scale, items_later=True, widgets_later=True)
        self._next_pass(lambda: self._scale_views(turn, full_screen))

    def _scale_views(self, turn: int, full_screen: bool) -> None:
        """The widgets' fonts, the views' sizes and full screen (the third turn of an
        ``in_turns`` :meth:`enter`)."""
        if not self.active or turn != self._turns:
            return  # left (Esc) before this turn, or entered again since
        self._fonts_pending = False
        host = self.host
        # fonts before the full-screen switch: larger fonts raise minimum sizes, and a window
        # whose minimum grows past the screen after going full screen drops that state
        self.fonts.scale_widgets(self.window)
        host.maps_view.set_page_size(PRESENTATION_PAGE_SIZE)  # fewer, larger tiles
        host.focus_views(stack_width=self._stack_width(), maps_share=0.55, full_screen=full_screen)
        self._rescale_timer.start()

    def leave(self, *, in_turns: bool = False) -> None:
        """Leave presentation mode: fonts, panels, bars, colours and size as they were.

        ``in_turns`` (the menu item, F11 and Esc): the application font and the colours go
        back in this turn, while the panels are still hidden (their relayout waits until
        they are shown), the widgets' and items' fonts on the next one
        (:meth:`_restore_widget_fonts`), the layout on the one after
        (:meth:`_restore_layout`), each in a pass of the event loop of its own
        (:meth:`_next_pass`); the window is painted once, after all. In one turn it was
        17-25 ms of the GUI thread on a quiet machine (23-layer scene), 44-59 ms in the
        monkey's runs; in two turns chained by a posted event, 35-50 ms in one gap.
        Entering again before the layout's turn keeps the layout and what it puts back.
        """
        if not self.active:
            return
        saved, self._saved = self._saved, None
        self._turns += 1  # a pending fonts' turn of entering does nothing now
        self._fonts_pending = False
        self.window.removeEventFilter(self)
        if in_turns:
            self._hold()
            self._hold_floating()
        else:
            self._let_go()  # entered in turns: this call paints once, with everything
        # in turns: the application font now, the widgets' and items' fonts on the next
        # turn (in one 18-45 ms with the docks open), the layout on the one after
        self.fonts.restore(self.window, widgets_later=in_turns)
        self.cost_line.setVisible(False)
        if self.host.colormap() != saved["colormap"]:
            self.host.set_colormap(str(saved["colormap"]), remember=False)
        self.toggle_action.setChecked(False)
        self._leaving = saved
        if in_turns:
            turn = self._turns
            self._next_pass(lambda: self._restore_widget_fonts(turn))
        else:
            self._restore_layout(self._turns)
        self.active_changed.emit(False)

    @property
    def leaving(self) -> bool:
        """Whether leaving in turns has a turn still to come (the layout's)."""
        return self._leaving is not None

    def _restore_widget_fonts(self, turn: int) -> None:
        """The widgets' and items' fonts (the second turn of an ``in_turns`` :meth:`leave`,
        the panels still hidden; the layout on the third, :meth:`_restore_layout`)."""
        if turn != self._turns or self._leaving is None:
            return  # entered again since
        self.fonts.finish_restore(self.window)
        self._next_pass(lambda: self._restore_layout(turn))

    def _restore_layout(self, turn: int) -> None:
        """Panels, bars, size and the tiles per page as they were (the second turn of an
        ``in_turns`` :meth:`leave`); painted on the next turn, when the layouts have settled."""
        if turn != self._turns or self._leaving is None:
            return  # entered again since
        saved, self._leaving = self._leaving, None
        self.host.restore_layout(saved["layout"])
        self.host.maps_view.set_page_size(saved["page_size"])
        self._let_go(later=True)
        self._next_pass(self._release_floating)

    def _hold_floating(self) -> None:
        """Hold the floating docks unpainted too until the last turn (the window's hold
        does not reach them: each is a window of its own). A floating Walk-through dock
        repainted (4-7 ms) in the gap of the first font slice, at half-changed fonts."""
        for dock in self.window.findChildren(QDockWidget):
            if dock.isWindow() and dock.isVisible() and dock.updatesEnabled():
                dock.setUpdatesEnabled(False)
                self._floating_held.append(dock)

    def _release_floating(self) -> None:
        """Let the docks held by :meth:`_hold_floating` paint again (the last turn of
        entering, a new scale or leaving; any refresh while presenting)."""
        held, self._floating_held = self._floating_held, []
        for dock in held:
            resume_painting(dock)

    def _hold(self) -> None:
        """Hold the window unpainted until :meth:`_let_go` (ours from now on, the fonts'
        hold included: :meth:`FontScaler.take_hold`)."""
        if self.fonts.take_hold() or (not self._holding and self.window.updatesEnabled()):
            self.window.setUpdatesEnabled(False)
            self._holding = True

    def _let_go(self, *, later: bool = False) -> None:
        """Let the window held by :meth:`_hold` paint again (``later``: on the next turn,
        unless an enter or leave takes the hold over in between)."""
        if not self._holding:
            return
        if later:
            turn = self._turns
            self._next_pass(lambda: turn == self._turns and self._let_go())
            return
        self._holding = False
        resume_painting(self.window)

    def cost_text(self) -> str:
        """The full text of the large cost line (it shows the longest form that fits on
        one line; :meth:`shown_cost_text`)."""
        return self.cost_line.full_text()

    def shown_cost_text(self) -> str:
        """What the cost line shows now."""
        return self.cost_line.text()

    # ------------------------------------------------------------------ internals
    def _stack_width(self) -> int:
        """Wide enough for every row of the layer list (never elided), at most 40 % of
        the window."""
        need = self.host.layer_list_width()
        return int(min(max(need, 220 * self._scale), 0.4 * self.window.width()))

    def _check_scale(self) -> None:
        nearest = min(SCALES, key=lambda s: abs(s - self._scale))
        self.scale_actions[nearest].setChecked(True)

    def _on_colorblind(self, on: bool) -> None:
        self.host.settings.presentation_colorblind = on  # the user's choice: remembered
        if not self.active:
            return
        saved = str(self._saved["colormap"])
        self.host.set_colormap(colorblind_colormap(saved) if on else saved, remember=False)

    def _schedule(self, *_: object) -> None:
        if self.active:
            self._rescale_timer.start()

    def _refresh(self) -> None:
        if self.active and not self._fonts_pending:  # painted once, with the fonts
            self._update_cost_line()
            self.fonts.rescale(self.window)
            self.host.widen_stack(self._stack_width())  # a longer row: never elided
            if self._floating_held:  # painted with the window (let go on the next pass)
                self._next_pass(self._release_floating)

    def _update_cost_line(self) -> None:
        self.cost_line.set_texts(cost_summaries(self.host.run.cost, self.host.selection))

    def _disconnect(self, *_: object) -> None:
        app = QApplication.instance()
        if app is not None:  # an older version filtered the whole application
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        """Esc leaves presentation mode (before any Esc shortcut of the window sees it).

        Installed on the window only while presenting, not on the application: an
        application filter called Python for every event of every widget (thousands per
        rescale or dialog, 20-30 % of the GUI thread's samples in the monkey's stalls while
        presenting). Key events and ``ShortcutOverride`` that no child accepts propagate
        up to the window, so Esc from any focused widget still reaches this filter, and
        its ``ShortcutOverride`` here keeps the window's Esc shortcuts (Cancel Run, the
        grid's) from firing.
        """
        if self._saved is None:  # installed only while presenting
            return False
        kind = event.type()
        if (
            kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
            or not isinstance(event, QKeyEvent)
            or event.key() != Qt.Key.Key_Escape
            or not isinstance(watched, QWidget)
            or watched.window() is not self.window
        ):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key goes to us as a key press, not to a shortcut
            return False
        self.leave(in_turns=True)
        return True


def install(host: ToolHost) -> Presentation:
    """Add presentation mode to the window of ``host`` (View menu, F11, Esc)."""
    return Presentation(host)
