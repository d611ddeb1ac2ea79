"""Guards for the fixes in docs/performance.md: torch stays off the first paint, runs leave a
core for the GUI thread, tiles colour-map no more pixels than the screen shows, hidden tools
are built on first use, a matrix's numbers are one graphics item."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest

from explorer.ui.state.controller import compute_threads
from explorer.ui.views.map_image import pixel_table
from explorer.ui.widgets.colormaps import lookup_table

ROOT = Path(__file__).resolve().parents[3]


def test_runs_leave_one_core_to_the_gui(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert [compute_threads(n) for n in (1, 2, 4, 16)] == [1, 1, 3, 15]


def test_omp_num_threads_is_left_to_the_user(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert compute_threads(8) is None


@pytest.mark.slow
def test_the_window_is_painted_before_torch_is_imported(tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from explorer.core.model.document import SceneDocument\n"
        "from explorer.core.io.samples import DEFAULT_SCENE, scene_path\n"
        "from explorer.core.io.scene import load_scene\n"
        "from explorer.ui.window.main_window import MainWindow\n"
        "from explorer.ui.state.settings import AppSettings, make_qsettings\n"
        "doc = SceneDocument(load_scene(scene_path(DEFAULT_SCENE)))\n"
        "w = MainWindow(doc, AppSettings(make_qsettings()), autosave=False)\n"
        "w.show(); w.repaint()\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))[:3])\n"
        "w.shutdown()\n"
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CONV_EXPLORER_NO_SETTINGS="1",
        CONV_EXPLORER_DATA_DIR=str(tmp_path / "data"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_hidden_tools_are_built_on_first_use(make_window, qtbot):
    from explorer.core.io.samples import DEFAULT_SCENE, scene_path
    from explorer.core.io.scene import load_scene

    win = make_window(load_scene(scene_path(DEFAULT_SCENE)), wait=False)
    dock, compare = win.tools["inspector_dock"], win.tools["compare_window"]
    assert dock._plots is None and compare._window is None  # nothing built at start-up
    toggle = dock.toggleViewAction()
    assert toggle in win.actions.docks_menu.actions() and toggle.shortcut().toString() == "Ctrl+I"
    toggle.trigger()
    # nothing before the first paint: the input view, then the pages, one per turn after it
    assert dock._input_view is None and dock._pointwise is None and dock._window is None
    qtbot.waitUntil(lambda: dock._plots is not None, timeout=5000)
    window = compare.window
    assert window is compare.window  # made once, on first use
    assert not window.standard.built and not window.separable.built  # made after it shows
    window.show()
    qtbot.waitUntil(lambda: window.standard.built and window.separable.built, timeout=5000)
    window.hide()


def test_matrix_numbers_are_one_item(qtbot, rng):
    from explorer.ui.views.cell_numbers import CellNumbers
    from explorer.ui.views.weight_view import WeightView

    view = WeightView()
    qtbot.addWidget(view)
    view.set_layer("pointwise", {"weight": rng.standard_normal((10, 16, 1, 1))})
    panel = view.panels()["weight"]
    assert len(panel.cell_texts()) == 160
    items = panel.view.scene().items()
    assert sum(isinstance(i, CellNumbers) for i in items) == 1
    assert not any(isinstance(i, pg.TextItem) for i in items)


def _pixels(qimage) -> np.ndarray:
    """The 32-bit pixels of a map image (``0xAARRGGBB``)."""
    ptr = qimage.constBits()
    rows = np.frombuffer(ptr, np.uint32, qimage.bytesPerLine() // 4 * qimage.height())
    return rows.reshape(qimage.height(), qimage.bytesPerLine() // 4)[:, : qimage.width()]


def test_a_small_tile_maps_every_kth_pixel_and_a_zoom_maps_them_all(shown_item, rng):
    widget, view, item = shown_item
    data = rng.standard_normal((512, 512)).astype(np.float32)
    lut = lookup_table("viridis")
    item.set_map(data, (-2.0, 2.0), lut, finite=True)
    view.setRange(xRange=(0, 512), yRange=(0, 512), padding=0)
    widget.grab()
    small = item.qimage
    step = 512 // small.width()
    assert step >= 2 and small.width() == -(-512 // step)
    expected = np.clip((data[::step, ::step] + 2.0) * 64.0, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_pixels(small), pixel_table(lut)[expected])
    view.setRange(xRange=(0, 64), yRange=(0, 64), padding=0)  # zoom in: 3 px per pixel
    widget.grab()
    assert (item.qimage.width(), item.qimage.height()) == (512, 512)
    full = np.clip((data + 2.0) * 64.0, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_pixels(item.qimage), pixel_table(lut)[full])
