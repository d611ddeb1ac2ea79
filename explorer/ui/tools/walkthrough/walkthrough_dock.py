"""The Walk-through dock: play what the selected layer computes, step by step, on the image.

Tools ▸ Walk-through (Ctrl+Shift+W). Drag a box on the layer's input (left) to choose the
region of interest; click the output map to jump to a position; then play, or step with
the keys (a presentation clicker's PageUp/PageDown work): Space play/pause, Right/PageDown
next step, Left/PageUp previous step, Down/Up next/previous position, Home/End.

The walk is computed by :func:`explorer.core.analysis.walkthrough.build_walk` on a worker thread
(latest wins) whenever the layer, its result, the region or the channel changes; playing
only repaints precomputed steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.walkthrough import Region, Walk, build_walk, default_region
from explorer.core.errors import ExplorerError
from explorer.ui.state.runner import LatestRunner
from explorer.ui.tools.walkthrough.walkthrough_ui import build_dock_ui
from explorer.ui.tools.walkthrough.walkthrough_widgets import map_image

if TYPE_CHECKING:
    from explorer.ui.tools.host import ToolHost

__all__ = ["WalkthroughDock", "install"]

_NEXT = (QtCore.Qt.Key.Key_Right, QtCore.Qt.Key.Key_PageDown)
_PREVIOUS = (QtCore.Qt.Key.Key_Left, QtCore.Qt.Key.Key_PageUp)
_KEYS = (
    *_NEXT,
    *_PREVIOUS,
    QtCore.Qt.Key.Key_Space,
    QtCore.Qt.Key.Key_Up,
    QtCore.Qt.Key.Key_Down,
    QtCore.Qt.Key.Key_Home,
    QtCore.Qt.Key.Key_End,
)


class _DockKeys(QtCore.QObject):
    """Passes the key presses of ``dock``'s widgets (and of those added later) to
    :meth:`WalkthroughDock.eventFilter` before the focused widget sees them."""

    def __init__(self, dock: WalkthroughDock) -> None:
        super().__init__(dock)
        self._dock = dock
        self.watch(dock)

    def watch(self, widget: QtCore.QObject) -> None:
        """Filter ``widget`` and every widget inside it."""
        for obj in (widget, *widget.findChildren(QtWidgets.QWidget)):
            obj.installEventFilter(self)  # installing twice keeps one

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """Key presses go to the dock; a widget added inside a watched one is watched too."""
        kind = event.type()
        if kind == QtCore.QEvent.Type.KeyPress:
            return self._dock.eventFilter(watched, event)
        if kind == QtCore.QEvent.Type.ChildAdded and isinstance(event, QtCore.QChildEvent):
            child = event.child()
            if child is not None and child.isWidgetType():
                self.watch(child)
        return False


class WalkthroughDock(QtWidgets.QDockWidget):
    """The dock; see the module's docstring. Tests drive it through its public methods.

    Attributes
    ----------
    walk
        The walk shown (``None`` until one is computed).
    index
        The step shown.
    """

    walk_ready = QtCore.Signal(object)
    #: The name a lesson slide uses to open this tool (``"tool": "walkthrough"``).
    slide_name = "walkthrough"

    def __init__(self, host: ToolHost) -> None:
        super().__init__("Walk-through", host.widget)
        self.setObjectName("WalkthroughDock")
        self._host = host
        self.walk: Walk | None = None
        self.index = 0
        self.region: Region | None = None
        self.placed = False  # set once it has been shown (first time: full view)
        self._from_slide = False
        #: opened by a lesson slide: PageUp/PageDown (the clicker) still move the slides
        self.slide_open = False
        self._layer_key: tuple | None = None
        self._goto_position: tuple[int, int] | None = None
        self._runner = LatestRunner(self)  # the newest request wins; stale walks are dropped
        self._runner.returned.connect(lambda _rev, walk: self._on_walk(walk))
        self._runner.errored.connect(
            lambda _rev, exc: self._on_error(
                str(exc) if isinstance(exc, ExplorerError) else f"{type(exc).__name__}: {exc}"
            )
        )
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._recompute = QtCore.QTimer(self, singleShot=True, interval=30)
        self._recompute.timeout.connect(self.recompute)
        build_dock_ui(self)
        host.run.layer_result.connect(self._on_result)
        host.document.selection_changed.connect(lambda _=None: self._schedule(reset=True))
        self.visibilityChanged.connect(lambda visible: visible and self._schedule())
        # the player's keys are seen by this dock's own widgets only: an app-wide filter
        # would call Python for every event of the application
        self.key_filter = _DockKeys(self)

    # ------------------------------------------------------------------ building
    def set_full_view(self, on: bool, *, share: float = 1.0) -> None:
        """Float the dock over the main window (True) or dock it again. ``share`` < 1
        covers only the bottom part (a slide keeps its caption visible above)."""
        with QtCore.QSignalBlocker(self.full_view):
            self.full_view.setChecked(on)
        self.setFloating(on)
        if on:
            g = self._host.widget.geometry()
            top = g.top() + round(g.height() * (1 - share))
            self.setGeometry(QtCore.QRect(g.left(), top, g.width(), g.bottom() - top + 1))
            self.show()

    # ------------------------------------------------------------------ computing
    def _layer(self) -> tuple[int, Any, Any, Any] | None:
        """``(index, spec, input, result)`` of the selected layer, or None (not run yet)."""
        index = self._host.document.selected
        layers = self._host.document.layers
        c = self._host.run
        if not 0 <= index < len(layers) or c.input_image is None:
            return None
        # by identity: after a move, insert or delete never another layer's result
        result = c.state.result(layers[index])
        previous = c.state.result(layers[index - 1]) if index > 0 else None
        if result is None or result.kind != layers[index].kind or (index > 0 and previous is None):
            return None
        x = previous.output if previous is not None else c.input_image
        return index, layers[index], x, result

    def _schedule(self, reset: bool = False) -> None:
        if reset:
            self.region = None
        if self.isVisible():
            self._recompute.start()

    def recompute(self) -> None:
        """Compute the walk of the selected layer on a worker (the answer arrives later)."""
        self._recompute.stop()
        layer = self._layer()
        if layer is None:
            self.canvas.message = "Select a layer that has run: its walk-through appears here."
            return self._clear()
        index, spec, x, result = layer
        size = (int(x.shape[1]), int(x.shape[2]))
        if self.region is None or self.region.top >= size[0] or self.region.left >= size[1]:
            self.region = default_region(spec, size)
        region, channel = self.region, self.channel.value()
        n_out = int(result.output.shape[0])
        channel = min(channel, n_out - 1)
        detail = self.detail.currentData()
        weights = result.weights
        self.status.setText("Computing the walk-through…")
        self._runner.submit(
            lambda: (
                index,
                build_walk(spec, x, weights, region=region, out_channel=channel, detail=detail),
                map_image(x),
                map_image(result.output[channel][None]),
            )
        )

    def _on_walk(self, answer: tuple) -> None:
        index, walk, input_image, output_image = answer
        if index != self._host.document.selected:
            return
        keep = self.walk is not None and self._layer_key == (index, walk.kind, walk.region)
        position = self.walk.steps[self.index].position if keep and self.walk.steps else 0
        self.walk = walk
        self._layer_key = (index, walk.kind, walk.region)
        self._title = f"Layer {index + 1} · {walk.kind}"
        with QtCore.QSignalBlocker(self.channel):
            self.channel.setRange(0, walk.out_shape[0] - 1)
            self.channel.setValue(walk.out_channel)
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setRange(0, len(walk.steps) - 1)
        g = walk.geometry
        self.header.setText(
            f"<b>{self._title}</b> · kernel {g.kernel[0]}×{g.kernel[1]}, "
            f"stride {g.stride[0]}, padding {g.pad[0]}, dilation "
            f"{g.dilation[0]} · {len(walk.positions)} positions, "
            f"{len(walk.steps)} steps"
        )
        self.input_map.set_map(input_image, walk.region)
        self._output_image = output_image
        self.status.setText(
            f"Region rows {walk.region.top}…{walk.region.top + walk.region.height - 1}, "
            f"cols {walk.region.left}…{walk.region.left + walk.region.width - 1}"
            " of the layer's input. Space plays; arrows or PageUp/PageDown step."
        )
        start = walk.step_of_position(position)
        if self._goto_position in walk.positions:
            start = walk.step_of_position(walk.positions.index(self._goto_position))
        self._goto_position = None
        self.show_step(start)
        self.walk_ready.emit(walk)

    def _on_error(self, message: str) -> None:
        if self._host.run.busy:  # the layer's new result is on its way
            self.status.setText("Waiting for the layer's new result…")
        else:
            self.status.setText(message)

    def _clear(self) -> None:
        self.walk = None
        self.pause()
        self.canvas.show_step(None, 0)
        self.input_map.set_map(None, None)
        self.output_map.set_map(None, None)

    def _on_result(self, _revision: int, result: object) -> None:
        selected = self._host.document.selected
        if getattr(result, "index", None) in (selected, selected - 1):
            self._schedule()

    # ------------------------------------------------------------------ public API
    def set_region(self, region: Region) -> None:
        """Walk through the output positions whose window is centred in ``region``."""
        self.region = region
        self._schedule()

    def set_channel(self, channel: int) -> None:
        """Follow output channel ``channel`` (clamped to the layer's channels)."""
        self.channel.setMaximum(max(self.channel.maximum(), int(channel)))
        self.channel.setValue(int(channel))

    def go_to_output(self, row: int, col: int) -> None:
        """Jump to output position ``(row, col)``; outside the region, move the region there."""
        walk = self.walk
        if walk is None:
            return
        if (row, col) in walk.positions:
            self.show_step(walk.step_of_position(walk.positions.index((row, col))))
            return
        g = walk.geometry
        cy = row * g.stride[0] - g.pad[0] + g.dilation[0] * (g.kernel[0] - 1) // 2
        cx = col * g.stride[1] - g.pad[1] + g.dilation[1] * (g.kernel[1] - 1) // 2
        h, w = walk.region.height, walk.region.width
        size = walk.x.shape[1:]
        top = min(max(cy - h // 2, 0), max(size[0] - h, 0))
        left = min(max(cx - w // 2, 0), max(size[1] - w, 0))
        self._goto_position = (row, col)
        self.set_region(Region(top, left, min(h, size[0]), min(w, size[1])))

    def show_step(self, index: int) -> None:
        """Show step ``index`` (clamped)."""
        if self.walk is None:
            return
        self.index = max(0, min(int(index), len(self.walk.steps) - 1))
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setValue(self.index)
        step = self.walk.steps[self.index]
        self.canvas.show_step(self.walk, self.index, self._title)
        self.output_map.set_map(self._output_image, None, (step.row, step.col))

    def _range(self) -> tuple[int, int]:
        walk = self.walk
        if walk is None:
            return 0, 0
        if self.pin.isChecked():
            position = walk.steps[self.index].position
            first = walk.step_of_position(position)
            last = (
                walk.step_of_position(position + 1) - 1
                if position + 1 < len(walk.positions)
                else len(walk.steps) - 1
            )
            return first, last
        return 0, len(walk.steps) - 1

    def step(self, delta: int) -> bool:
        """Move ``delta`` steps (wrapping when Loop is on); False at an end."""
        first, last = self._range()
        target = self.index + delta
        if target > last or target < first:
            if not self.loop.isChecked():
                return False
            target = first if target > last else last
        self.show_step(target)
        return True

    def step_position(self, delta: int) -> None:
        """Move to the first step of the next / previous output position."""
        if self.walk is not None:
            position = self.walk.steps[self.index].position + delta
            if 0 <= position < len(self.walk.positions):
                self.show_step(self.walk.step_of_position(position))

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.walk is not None:
            self._timer.start(self._interval())
            self.play_button.setIcon(
                self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPause)
            )

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.setIcon(
            self.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPlay)
        )

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def _interval(self) -> int:
        return max(20, round(1000 / self.speed.value()))

    def _tick(self) -> None:
        if not self.step(1):
            self.pause()

    def show_for_slide(self, options: dict) -> None:
        """Open for a lesson slide: ``{"layer": 1, "region": [r, c, h, w], "channel": 0,
        "detail": "steps", "play": true}`` (every key optional; layer 1 = the first)."""
        layer = int(options.get("layer", 1)) - 1
        if 0 <= layer < len(self._host.document.layers):
            self._host.document.select(layer)
        if options.get("region"):
            self.region = Region(*(int(v) for v in options["region"]))
        self.set_channel(int(options.get("channel", 0)))
        self.detail.setCurrentIndex(max(0, self.detail.findData(options.get("detail", "steps"))))
        self._from_slide = True
        # over the bottom of the window, not taking the keys: the clicker still moves slides
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.set_full_view(True, share=0.62)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_ShowWithoutActivating, False)
        self._from_slide = False
        self.slide_open = True
        self.canvas.setFocus()
        self._schedule()
        if options.get("play"):
            self.walk_ready.connect(self._play_once, QtCore.Qt.ConnectionType.SingleShotConnection)

    def _play_once(self, _walk: object) -> None:
        self.play()

    def close_for_slide(self) -> None:
        """The slide that opened the dock was left: stop and hide."""
        self.slide_open = False
        self.pause()
        self.hide()

    # ------------------------------------------------------------------ keys
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        """The player's keys, while the focus is in this dock (before the slides see them)."""
        if (
            event.type() != QtCore.QEvent.Type.KeyPress
            or not isinstance(event, QtGui.QKeyEvent)
            or event.key() not in _KEYS
            or not self.isVisible()
        ):
            return False
        focus = QtWidgets.QApplication.focusWidget()
        if (
            focus is None
            or not self.isAncestorOf(focus)
            or isinstance(focus, (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox))
        ):
            return False
        return self.handle_key(event.key())

    def handle_key(self, key: int) -> bool:
        """Act on a player key; True when it was one."""
        Key = QtCore.Qt.Key
        slides = self._host.tool("slides")
        if self.slide_open and slides is not None and key in (Key.Key_PageDown, Key.Key_PageUp):
            slides.next() if key == Key.Key_PageDown else slides.previous()
            return True
        if key == Key.Key_Space:
            self.toggle_play()
        elif key in _NEXT:
            self.step(1)
        elif key in _PREVIOUS:
            self.step(-1)
        elif key == Key.Key_Down:
            self.step_position(1)
        elif key == Key.Key_Up:
            self.step_position(-1)
        elif key == Key.Key_Home:
            self.show_step(self._range()[0])
        elif key == Key.Key_End:
            self.show_step(self._range()[1])
        else:
            return False
        return True

    # ------------------------------------------------------------------ export
    def export_animation_dialog(self) -> None:
        from explorer.ui.tools.walkthrough.walkthrough_export_ui import animation_dialog

        animation_dialog(self)

    def export_frame_dialog(self, kind: str) -> None:
        from explorer.ui.tools.walkthrough.walkthrough_export_ui import frame_dialog

        frame_dialog(self, kind)

    @property
    def title(self) -> str:
        return getattr(self, "_title", "")


def install(host: ToolHost) -> WalkthroughDock:
    """Add the Walk-through dock (hidden; Tools ▸ Walk-through, Ctrl+Shift+W)."""
    dock = WalkthroughDock(host)
    toggle = host.add_dock(dock, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
    toggle.setText("&Walk-through")
    toggle.setShortcut(QtGui.QKeySequence("Ctrl+Shift+W"))
    toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    toggle.setStatusTip("Play what the selected layer computes, step by step, on the image")
    host.add_action(toggle, "tools")

    def on_toggle(visible: bool) -> None:
        # first shown over the whole window (the frame needs room; Full View docks it)
        if visible and not dock.placed:
            dock.placed = True
            if not dock._from_slide:  # a slide keeps the keys for the slides
                dock.set_full_view(True)
                dock.canvas.setFocus()

    toggle.toggled.connect(on_toggle)
    return dock
