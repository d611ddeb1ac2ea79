"""The Walk-through dock's widgets: header, pickers, canvas, player controls, status."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from explorer.ui.tools.walkthrough.walkthrough_widgets import FrameCanvas, MapPicker

if TYPE_CHECKING:
    from explorer.ui.tools.walkthrough.walkthrough_dock import WalkthroughDock

__all__ = ["build_dock_ui"]


def build_dock_ui(dock: WalkthroughDock) -> None:
    """The dock's widgets and layout (attributes of ``dock``)."""
    dock.header = QtWidgets.QLabel()
    dock.channel = QtWidgets.QSpinBox(prefix="output channel ")
    dock.channel.setToolTip("The output channel followed (its map fills in)")
    dock.channel.valueChanged.connect(lambda _: dock._schedule())
    dock.detail = QtWidgets.QComboBox()
    dock.detail.addItem("every step", "steps")
    dock.detail.addItem("one step per position", "positions")
    dock.detail.currentIndexChanged.connect(lambda _: dock._schedule())
    top = QtWidgets.QHBoxLayout()
    top.addWidget(dock.header, 1)
    top.addWidget(dock.channel)
    top.addWidget(dock.detail)

    dock.canvas = FrameCanvas()
    dock.input_map = MapPicker("input (drag a box)", drag=True)
    dock.input_map.region_chosen.connect(dock.set_region)
    dock.output_map = MapPicker("output (click)", drag=False)
    dock.output_map.pixel_clicked.connect(dock.go_to_output)
    side = QtWidgets.QVBoxLayout()
    side.addWidget(dock.input_map, 1)
    side.addWidget(dock.output_map, 1)
    body = QtWidgets.QHBoxLayout()
    body.addLayout(side, 1)
    body.addWidget(dock.canvas, 6)

    style = dock.style()
    icon = QtWidgets.QStyle.StandardPixmap
    dock.back_button = _tool(
        style.standardIcon(icon.SP_MediaSeekBackward),
        "Previous step (Left, PageUp)",
        lambda: dock.step(-1),
    )
    dock.play_button = _tool(
        style.standardIcon(icon.SP_MediaPlay), "Play / pause (Space)", dock.toggle_play
    )
    dock.forward_button = _tool(
        style.standardIcon(icon.SP_MediaSeekForward),
        "Next step (Right, PageDown)",
        lambda: dock.step(1),
    )
    dock.scrubber = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
    dock.scrubber.setToolTip("Every step of the walk-through")
    dock.scrubber.valueChanged.connect(dock.show_step)
    dock.speed = QtWidgets.QDoubleSpinBox(
        suffix=" steps/s", decimals=1, minimum=0.5, maximum=30.0, value=3.0, singleStep=0.5
    )
    dock.speed.setToolTip("Playing speed (and the frame rate of an exported animation)")
    dock.speed.valueChanged.connect(lambda _: dock._timer.setInterval(dock._interval()))
    dock.loop = QtWidgets.QCheckBox("Loop", checked=True)
    dock.pin = QtWidgets.QCheckBox("Pin position")
    dock.pin.setToolTip("Play and step only through the steps of this output position")
    dock.full_view = QtWidgets.QToolButton(text="Full View", checkable=True)
    dock.full_view.setToolTip(
        "Show the walk-through as a window over the whole main window (again to dock it)"
    )
    dock.full_view.toggled.connect(dock.set_full_view)
    dock.export_button = QtWidgets.QToolButton(text="Export")
    dock.export_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QtWidgets.QMenu(dock.export_button)
    menu.addAction("Animation (GIF or animated PNG)…", dock.export_animation_dialog)
    menu.addAction("This Frame as PNG…", lambda: dock.export_frame_dialog("png"))
    menu.addAction("This Frame as SVG…", lambda: dock.export_frame_dialog("svg"))
    dock.export_button.setMenu(menu)
    controls = QtWidgets.QHBoxLayout()
    for w in (dock.back_button, dock.play_button, dock.forward_button):
        controls.addWidget(w)
    controls.addWidget(dock.scrubber, 1)
    for w in (dock.speed, dock.loop, dock.pin, dock.full_view, dock.export_button):
        controls.addWidget(w)
    dock.status = QtWidgets.QLabel()
    dock.status.setWordWrap(True)

    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box)
    layout.setContentsMargins(6, 4, 6, 4)
    layout.addLayout(top)
    layout.addLayout(body, 1)
    layout.addLayout(controls)
    layout.addWidget(dock.status)
    dock.setWidget(box)


def _tool(icon: QtGui.QIcon, tip: str, slot: Callable[[], Any]) -> QtWidgets.QToolButton:
    button = QtWidgets.QToolButton(icon=icon, toolTip=tip)
    button.setAutoRaise(True)
    button.clicked.connect(lambda _=False: slot())
    return button
