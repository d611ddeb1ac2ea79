"""The Walk-through dock in the real window: it follows the layer, plays without stalling,
steps with the keys, and exports frames and animations."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from ui_helpers import wait_run

from explorer.core.analysis.walkthrough import Region
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def scene() -> Scene:
    return Scene(
        input=InputSpec(image="sample:chelsea", size=32),
        layers=(
            default_spec(
                "standard", out_channels=6, stride=2, padding=1, batch_norm=True, activation="relu"
            ),
            default_spec("pointwise", out_channels=5),
            default_spec("depthwise", multiplier=2),
        ),
        seed=5,
    )


@pytest.fixture
def dock(make_window, qtbot):
    win = make_window(scene())
    dock = win.tools["walkthrough_dock"]
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.show()
    return dock


def test_walk_follows_the_layer_and_matches_the_feature_map(dock, qtbot):
    win = dock._host.widget
    assert dock.walk.kind == "standard" and dock.canvas.walk is dock.walk
    out = win.controller.results[0].output
    for step in dock.walk.steps:
        if step.phase == "output":
            np.testing.assert_allclose(
                step.values, out[:, step.row, step.col], rtol=1e-4, atol=1e-5
            )
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        win.document.select(1)
    assert dock.walk.kind == "pointwise"
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):  # an edit of the layer
        win.document.replace_layer(1, default_spec("pointwise", out_channels=3))
    assert dock.walk.out_shape[0] == 3
    assert dock.header.text().startswith("<b>Layer 2 · pointwise")


def test_playing_steps_through_while_events_are_processed(dock, qtbot):
    dock.speed.setValue(30.0)
    dock.loop.setChecked(False)
    dock.show_step(0)
    dock.play()
    assert dock.playing
    seen = set()
    qtbot.waitUntil(lambda: seen.add(dock.index) or dock.index >= 12, timeout=10000)
    assert len(seen) >= 6  # the GUI kept painting frames in between
    dock.toggle_play()
    assert not dock.playing
    stopped = dock.index
    qtbot.wait(150)
    assert dock.index == stopped
    dock.show_step(len(dock.walk.steps) - 2)
    dock.play()
    qtbot.waitUntil(lambda: not dock.playing, timeout=5000)  # stops at the end, no loop
    assert dock.index == len(dock.walk.steps) - 1


def test_keys_scrubber_pin_and_loop(dock, qtbot):
    dock.canvas.setFocus()
    qtbot.waitUntil(dock.canvas.hasFocus, timeout=2000)
    dock.show_step(0)
    qtbot.keyClick(dock.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(dock.canvas, Qt.Key.Key_PageDown)
    assert dock.index == 2
    qtbot.keyClick(dock.canvas, Qt.Key.Key_PageUp)
    assert dock.index == 1
    qtbot.keyClick(dock.canvas, Qt.Key.Key_Down)
    assert dock.walk.steps[dock.index].position == 1 and dock.index == dock.walk.step_of_position(1)
    assert dock.scrubber.value() == dock.index
    qtbot.keyClick(dock.canvas, Qt.Key.Key_Space)
    assert dock.playing
    qtbot.keyClick(dock.canvas, Qt.Key.Key_Space)
    assert not dock.playing
    dock.scrubber.setValue(5)
    assert dock.index == 5
    dock.pin.setChecked(True)
    first, last = dock._range()
    dock.show_step(last)
    dock.step(1)  # loops within the pinned position
    assert dock.index == first
    dock.loop.setChecked(False)
    dock.show_step(last)
    assert not dock.step(1) and dock.index == last


def test_region_click_on_output_and_channel(dock, qtbot):
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.set_region(Region(0, 0, 4, 6))
    assert dock.walk.positions[0] == (0, 0)
    assert len(dock.walk.positions) == 2 * 3  # stride 2
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.go_to_output(5, 10)  # outside the region: the region moves there
    step = dock.walk.steps[dock.index]
    assert (step.row, step.col) == (5, 10) and (5, 10) in dock.walk.positions
    dock.go_to_output(*dock.walk.positions[0])  # inside: a jump, nothing recomputed
    assert dock.walk.steps[dock.index].position == 0
    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.set_channel(4)
    assert dock.walk.out_channel == 4


def test_export_animation_and_frames(dock, qtbot, tmp_path):
    from explorer.ui.tools.walkthrough.walkthrough_export import save_frame_png, save_frame_svg
    from explorer.ui.tools.walkthrough.walkthrough_export_ui import AnimationExport

    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        dock.set_region(Region(2, 2, 4, 4))
    n = len(dock.walk.steps)
    job = AnimationExport(dock, tmp_path / "w.gif", 320, 5.0)
    with qtbot.waitSignal(job.finished, timeout=60000) as blocker:
        pass
    assert blocker.args == [str(tmp_path / "w.gif"), ""]
    with Image.open(tmp_path / "w.gif") as im:
        assert im.n_frames == n and im.size == (320, 180)
        assert im.info["duration"] == 200 and im.info["loop"] == 0
    assert "Wrote" in dock.status.text()
    job = AnimationExport(dock, tmp_path / "c.png", 320, 5.0)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=60000) as blocker:
        pass
    assert blocker.args == ["", "export cancelled"] and not (tmp_path / "c.png").exists()
    png = save_frame_png(dock.walk, dock.index, tmp_path / "f.png", 640, dock.title)
    with Image.open(png) as im:
        assert im.size == (640, 360)
    svg = save_frame_svg(dock.walk, dock.index, tmp_path / "f.svg", dock.title)
    assert "<svg" in svg.read_text(encoding="utf-8")


def test_presentation_mode_keeps_the_dock_working(dock, qtbot):
    win = dock._host.widget
    presentation = win.tools["presentation"]
    presentation.enter(full_screen=False)
    try:
        assert dock.isVisible()
        dock.show_step(0)
        assert dock.handle_key(Qt.Key.Key_PageDown) and dock.index == 1
    finally:
        presentation.leave()
    wait_run(qtbot, win)


def test_drag_a_box_on_the_input_and_click_the_output(dock, qtbot):
    picker = dock.input_map
    image = picker.image
    target = picker._target()

    def at(row: int, col: int) -> QPoint:
        return QPoint(
            round(target.left() + (col + 0.5) * target.width() / image.width()),
            round(target.top() + (row + 0.5) * target.height() / image.height()),
        )

    with qtbot.waitSignal(dock.walk_ready, timeout=20000):
        qtbot.mousePress(picker, Qt.MouseButton.LeftButton, pos=at(2, 3))
        qtbot.mouseMove(picker, at(7, 9))
        qtbot.mouseRelease(picker, Qt.MouseButton.LeftButton, pos=at(7, 9))
    assert dock.walk.region == Region(2, 3, 6, 7)
    out = dock.output_map
    row, col = dock.walk.positions[-1]
    t = out._target()
    qtbot.mouseClick(
        out,
        Qt.MouseButton.LeftButton,
        pos=QPoint(
            round(t.left() + (col + 0.5) * t.width() / out.image.width()),
            round(t.top() + (row + 0.5) * t.height() / out.image.height()),
        ),
    )
    step = dock.walk.steps[dock.index]
    assert (step.row, step.col) == (row, col) and step.index == dock.walk.step_of_position(
        len(dock.walk.positions) - 1
    )


def test_player_keys_are_filtered_on_the_dock_only(dock, qtbot):
    """The dock's key filter sits on its own widgets, not on the application (which would
    call Python for every event of the app); widgets added to the dock later are covered."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication, QPushButton

    def press(widget, key) -> None:
        event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    dock.canvas.setFocus()
    qtbot.waitUntil(dock.canvas.hasFocus, timeout=2000)
    dock.show_step(0)
    # a key sent to a widget outside the dock never reaches the player, even while the
    # focus is in the dock (an application-wide filter saw it and stepped)
    press(dock._host.widget.layer_panel, Qt.Key.Key_Right)
    assert dock.index == 0
    press(dock.canvas, Qt.Key.Key_Right)
    assert dock.index == 1
    later = QPushButton("added later", dock.canvas.parentWidget())  # Space would click it
    later.show()
    later.setFocus()
    qtbot.waitUntil(later.hasFocus, timeout=2000)
    clicked = []
    later.clicked.connect(lambda: clicked.append(True))
    press(later, Qt.Key.Key_Right)
    assert dock.index == 2
    press(later, Qt.Key.Key_Space)
    assert dock.playing and not clicked  # the player had it first
    dock.toggle_play()


def test_a_walk_too_big_for_memory_is_refused_at_the_dock(dock, qtbot, monkeypatch):
    """The walk's memory guard (issue 16): its message in the dock's status, the stack as
    it was."""
    from explorer.core.analysis.memory import ENV_VAR

    win = dock._host.widget
    before = win.document.scene
    monkeypatch.setenv(ENV_VAR, "0.01")  # 10 KiB: the results shown stay, no new run
    dock.recompute()
    qtbot.waitUntil(lambda: "walk-through of" in dock.status.text(), timeout=20000)
    text = dock.status.text()
    assert "choose a smaller region" in text and "\n" not in text
    assert win.document.scene is before and not win.document.can_undo
