"""Lessons as slides: the shipped lesson given start to finish with the keyboard alone."""

from __future__ import annotations

import html
import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractSpinBox, QMessageBox
from ui_helpers import wait_run

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.walkthrough import Region
from explorer.core.io.inputs import input_shape
from explorer.core.io.lesson import default_lesson_path, load_lesson
from explorer.core.io.scene import InputSpec, Scene, load_scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.present.slides import caption_text

Button = QMessageBox.StandardButton
LESSON = load_lesson(default_lesson_path())


@pytest.fixture
def window(make_window):
    scene = Scene(
        input=InputSpec(image="sample:chelsea", size=32),
        layers=(default_spec("pointwise", out_channels=4),),
        seed=1,
    )
    win = make_window(scene, wait=False)
    win.asked = []
    win.answer = Button.Discard

    def ask():
        win.asked.append(win.document.path)
        return win.answer

    win.files.ask_save = ask
    win.files.reports = []
    win.files.report = lambda title, message: win.files.reports.append(message)
    return win


def expected_caption(i: int) -> str:
    scene = load_scene(LESSON.slides[i])
    return caption_text(i + 1, len(LESSON), scene.title, scene.caption)


def test_bundled_lesson_is_first_in_lessons_menu(window):
    menu = window.actions.lessons_menu
    assert menu.isEnabled()
    assert menu.actions()[0] is window.tools["slides"].bundled_action
    file_actions = window.actions.file_menu.actions()
    opener = window.tools["slides"].open_action
    assert file_actions.index(opener) == file_actions.index(menu.menuAction()) + 1


def test_whole_lesson_with_pagedown_from_a_focused_list(qtbot, window):
    slides = window.tools["slides"]
    window.tools["slides"].bundled_action.trigger()
    count = len(LESSON.slides)
    assert slides.index == 0 and len(slides.lesson) == count
    # The layer list has the focus: arrows and PageDown would move its current row.
    window.layer_panel.list.setFocus()
    seen = []
    for step in range(len(LESSON)):
        if step:
            QTest.keyClick(window.layer_panel.list, Qt.Key.Key_PageDown)
        i = slides.index
        seen.append(i)
        assert window.document.scene == load_scene(LESSON.slides[i])
        assert window.document.path == LESSON.slides[i]
        assert slides.caption() == expected_caption(i)
        assert slides.caption_bar.isVisible()
        # the layer the slide is about is selected (the first unless the lesson says)
        assert window.document.selected == max(0, LESSON.layer_of(i) - 1)
        scene = load_scene(LESSON.slides[i])
        label = slides.caption_bar.label.text()
        assert f"{i + 1} / {count}" in label
        assert html.escape(scene.title) in label and html.escape(scene.caption) in label
    assert seen == list(range(count))
    QTest.keyClick(window.layer_panel.list, Qt.Key.Key_PageDown)  # past the end: stays
    assert slides.index == count - 1
    assert window.asked == []  # never asked: the user's scene was clean, then only slides
    # The last slide gets computed and its maps are what is drawn.
    wait_run(qtbot, window, 60000)
    result = window.controller.results[window.document.selected]
    shown = {ch: np.asarray(item.image) for ch, item in window.feature_grid.visible_image_items()}
    assert shown
    for ch, data in shown.items():
        np.testing.assert_array_equal(data, result.output[ch])
    last = load_scene(LESSON.slides[count - 1])

    cost = stack_cost(input_shape(last.input), last.layers)
    assert result.output.shape[0] == cost.layers[window.document.selected].output_shape[0]


def test_arrow_home_end_space_pageup(window):
    slides = window.tools["slides"]
    assert slides.start(LESSON)
    keys = [
        (Qt.Key.Key_End, len(LESSON.slides) - 1),
        (Qt.Key.Key_Home, 0),
        (Qt.Key.Key_Right, 1),
        (Qt.Key.Key_Space, 2),
        (Qt.Key.Key_Left, 1),
        (Qt.Key.Key_PageUp, 0),
        (Qt.Key.Key_Left, 0),
    ]
    for key, index in keys:
        QTest.keyClick(window, key)
        assert slides.index == index, key
        assert window.document.scene == load_scene(LESSON.slides[index])
    # A modifier means something else (Alt+Left is not "previous slide").
    QTest.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert slides.index == 0


def test_no_lesson_keys_are_left_alone(window):
    before = window.document.scene
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    QTest.keyClick(window, Qt.Key.Key_Right)
    assert window.document.scene is before
    assert not window.tools["slides"].active


def test_spin_box_keeps_its_arrows_unless_presenting(qtbot, window):
    slides = window.tools["slides"]
    assert slides.start(LESSON, 3)
    spin = next(s for s in window.layer_editor.findChildren(QAbstractSpinBox) if s.isVisible())
    spin.setFocus()
    qtbot.waitUntil(lambda: spin.hasFocus() or spin.lineEdit().hasFocus(), timeout=2000)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_End):
        QTest.keyClick(spin.lineEdit(), key)
    assert slides.index == 3  # the arrows moved the text cursor, not the slides
    presentation = window.tools["presentation"]
    presentation.enter(full_screen=False)
    try:
        # The editor is hidden when presenting; give the focus back to a spin box anyway.
        QTest.keyClick(spin.lineEdit(), Qt.Key.Key_Right)
        assert slides.index == 4
    finally:
        presentation.leave()


def test_asks_before_leaving_a_users_scene_but_not_a_slide(window):
    slides = window.tools["slides"]
    window.document.replace_layer(0, default_spec("pointwise", out_channels=5))
    assert window.document.dirty
    own = window.document.scene
    window.answer = Button.Cancel
    assert not slides.open_lesson(default_lesson_path())
    assert window.asked == [None] and not slides.active
    assert window.document.scene is own
    window.answer = Button.Discard
    assert slides.open_lesson(default_lesson_path())
    assert len(window.asked) == 2
    # An edited slide is simply left for the next one.
    layer = window.document.layers[0]
    window.document.replace_layer(0, default_spec(layer.kind, out_channels=7))
    assert window.document.dirty
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert slides.index == 1 and len(window.asked) == 2
    assert window.document.scene == load_scene(LESSON.slides[1])


def test_opening_another_scene_ends_the_lesson(window):
    slides = window.tools["slides"]
    assert slides.start(LESSON, 2)
    from explorer.core.io.samples import scene_path

    assert window.files.open_scene(scene_path("rgb_to_gray"))
    assert not slides.active
    # the scene's own caption shows (issue 15), without the slide buttons
    bar = slides.caption_bar
    assert bar.isVisible() and window.document.scene.caption in bar.text()
    assert not bar.next_button.isVisible() and not bar.previous_button.isVisible()
    bar.close_button.click()
    assert not bar.isVisible()
    before = window.document.scene
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert window.document.scene is before


def test_folder_without_index_and_start_at_a_scene(tmp_path, window):
    folder = tmp_path / "my lesson"
    folder.mkdir()
    for name, slide in zip(("b.json", "a.json", "c.json"), LESSON.slides, strict=False):
        shutil.copy(slide, folder / name)
    slides = window.tools["slides"]
    assert slides.open_lesson(folder)
    assert slides.lesson.slides == tuple(
        sorted((folder / n).resolve() for n in ("a.json", "b.json", "c.json"))
    )
    assert slides.index == 0 and slides.caption().startswith("1 / 3")
    assert slides.open_lesson(folder / "c.json")
    assert slides.index == 2 and window.document.path == (folder / "c.json").resolve()


def test_bad_lesson_and_bad_slide_are_reported(tmp_path, window):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "lesson.json").write_text('{"format": "nope"}', encoding="utf-8")
    slides = window.tools["slides"]
    assert not slides.open_lesson(bad)
    assert not slides.active
    assert window.files.reports and "lesson.json" in window.files.reports[-1]

    folder = tmp_path / "broken"
    folder.mkdir()
    shutil.copy(LESSON.slides[0], folder / "01.json")
    (folder / "02.json").write_text("{not json", encoding="utf-8")
    (folder / "lesson.json").write_text(
        json.dumps(
            {"format": "conv-explorer-lesson", "version": 1, "slides": ["01.json", "02.json"]}
        ),
        encoding="utf-8",
    )
    assert slides.open_lesson(folder)
    scene = window.document.scene
    QTest.keyClick(window, Qt.Key.Key_Right)
    assert slides.index == 0 and window.document.scene is scene
    assert "02.json" in window.files.reports[-1]


def test_walkthrough_slides_open_and_close_the_tool(qtbot, window):
    slides = window.tools["slides"]
    dock = window.tools["walkthrough_dock"]
    first = next(i for i in range(len(LESSON)) if LESSON.tool_of(i) is not None)
    assert slides.start(LESSON, first)
    assert dock.isVisible() and dock.isFloating()  # over the bottom of the window
    qtbot.waitUntil(lambda: dock.walk is not None and dock.walk.kind == "pointwise", timeout=60000)
    assert dock.walk.region == Region(16, 28, 8, 8) and len(dock.walk.positions) == 64
    qtbot.waitUntil(lambda: dock.playing, timeout=5000)  # "play": true
    window.layer_panel.list.setFocus()
    QTest.keyClick(window.layer_panel.list, Qt.Key.Key_PageDown)  # the clicker: next slide
    assert slides.index == first + 1
    qtbot.waitUntil(lambda: dock.walk is not None and dock.walk.kind == "depthwise", timeout=60000)
    dock.pause()
    dock.show_step(0)
    dock.handle_key(Qt.Key.Key_Right)  # arrows step the animation, PageUp the slides
    assert dock.index == 1 and slides.index == first + 1
    assert dock.handle_key(Qt.Key.Key_PageUp) and slides.index == first
    QTest.keyClick(window.layer_panel.list, Qt.Key.Key_PageUp)  # a slide without the tool
    assert slides.index == first - 1 and not dock.isVisible() and not dock.playing


def test_the_slide_keys_filter_sees_the_app_only_during_a_lesson(window, monkeypatch):
    """The application-wide key filter (Python called for every event of the app) is
    installed when a lesson starts and removed when it ends."""
    from explorer.ui.tools.present.slides import SlideShow

    seen: list[int] = []
    real = SlideShow.eventFilter
    monkeypatch.setattr(
        SlideShow, "eventFilter", lambda self, w, e: seen.append(1) or real(self, w, e)
    )
    slides = window.tools["slides"]

    def poke() -> int:
        seen.clear()
        for _ in range(5):
            QTest.keyClick(window.layer_panel, Qt.Key.Key_A)
        return len(seen)

    assert poke() == 0
    assert slides.start(LESSON, 1)
    assert poke() > 0
    slides.stop()
    assert poke() == 0
