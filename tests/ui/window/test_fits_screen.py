"""Issue 15: every view fits a 1280×720 and a 1920×1080 screen and shows its text whole.

For each case (normal, presentation mode, the inspector, the comparison window, every slide
of the bundled lesson) the window is opened at the screen's size and checked by
:mod:`fit_checks`: no minimum size larger than the screen, every widget inside the window,
no table column cut, no label with a number cut, no spin box squashed, no plot title, axis
label or tick numbers cut, no list row elided, no graphics view smaller than its contents.
A PNG of each case is saved under the test's tmp folder (``take_shots.py`` saves the same
pictures by hand).
"""

from __future__ import annotations

import pytest
from fit_checks import all_problems, label_problems, table_problems
from take_shots import SIZES, TOOL_CASES, close_case, open_case, settle, wait_until

pytestmark = pytest.mark.slow


def _check(top, size, tmp_path, name):
    problems = all_problems(top, *size)
    top.grab().save(str(tmp_path / f"{name}-{size[0]}x{size[1]}.png"), "PNG")
    return problems


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "case", ["normal", "presentation", "inspector", "inspector_presentation", "compare"]
)
def test_view_fits_the_screen(qtbot, tmp_path, case, size):
    top, win = open_case(case, size, tmp_path)
    try:
        assert _check(top, size, tmp_path, case) == []
    finally:
        close_case(top, win)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", TOOL_CASES)
def test_later_tool_windows_fit_the_screen(qtbot, tmp_path, case, size):
    """The Fit and Walk-through docks, the counts dialog, the model import dialog and the
    stale-result banner (added after the first screenshot set)."""
    top, win = open_case(case, size, tmp_path)
    try:
        assert _check(top, size, tmp_path, case) == []
    finally:
        close_case(top, win)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_lesson_slide_fits_the_screen(qtbot, tmp_path, size):
    from take_shots import SLIDES, idle

    top, win = open_case("slide1", size, tmp_path)
    slides = win.tools["slides"]
    try:
        problems = {}
        for number in range(1, SLIDES + 1):
            if number > 1:
                assert slides.next()
                wait_until(lambda: idle(win))
                settle()
            assert slides.index == number - 1
            found = _check(top, size, tmp_path, f"slide{number}")
            if found:
                problems[number] = found
        assert problems == {}
    finally:
        close_case(top, win)


def test_the_checks_find_a_cut_label_and_a_cut_table(qtbot):
    """The checks can fail: a label narrower than its number and a table narrower than
    its columns are reported."""
    from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    label = QLabel("8,388,608 MACs")
    label.setMinimumWidth(10)
    label.setMaximumWidth(30)
    table = QTableWidget(1, 3)
    for c in range(3):
        table.setItem(0, c, QTableWidgetItem("16,777,216"))
    table.setMaximumWidth(90)
    layout.addWidget(label)
    layout.addWidget(table)
    top.resize(300, 200)
    top.show()
    qtbot.waitExposed(top)
    assert any("8,388,608" in p for p in label_problems(top))
    assert table_problems(top)
    label.setMaximumWidth(1000)
    table.setMaximumWidth(1000)
    table.resizeColumnsToContents()
    top.resize(600, 200)
    settle(50)
    assert label_problems(top) == []
    assert table_problems(top) == []


def test_the_checks_find_a_banner_laid_over_a_title(qtbot):
    """The overlap check fails on a label placed by hand over its laid-out siblings (as
    the stale-result banner once covered the maps' title line), and passes once the
    banner has a row of its own."""
    from fit_checks import overlap_problems
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    layout.addWidget(QLabel("Layer 2 · pointwise · output (C×H×W)   (8×256×256)"))
    layout.addWidget(QLabel("maps"), 1)
    banner = QLabel("⚠ Last valid result", top)
    top.resize(500, 300)
    top.show()
    qtbot.waitExposed(top)
    banner.adjustSize()
    banner.move(top.width() - banner.width() - 8, 2 + layout.contentsMargins().top())
    banner.raise_()
    found = overlap_problems(top)
    assert any("Last valid result" in p and "Layer 2" in p for p in found), found
    layout.insertWidget(0, banner)
    settle(50)
    assert overlap_problems(top) == []


def test_screenshot_size_option(tmp_path):
    """``--size W H`` gives the window that size; a bad size is one line and exit 2."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import numpy as np
    from PIL import Image

    root = Path(__file__).resolve().parents[3]
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
    )
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "explorer", "--screenshot", str(out), "--size", "1280", "720"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert np.asarray(Image.open(out)).shape[:2] == (720, 1280)
    bad = subprocess.run(
        [sys.executable, "-m", "explorer", "--size", "10", "720"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "--size" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
