"""Exports from the menu paint in strips over the event loop, show progress, and cancel."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton
from ui_helpers import wait_run

import explorer.ui.tools.present.export_job as export_job
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.present.export import render_png


@pytest.fixture
def window(qtbot, make_window):
    scene = Scene(
        input=InputSpec(shape=(3, 32, 32)), layers=(default_spec("standard", out_channels=6),)
    )
    win = make_window(scene, size=(1280, 720), wait=False)
    win.files.reports = []
    win.files.report = lambda title, message: win.files.reports.append(message)
    wait_run(qtbot, win, 60000)
    return win


def _progress_dialogs() -> list[QProgressDialog]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QProgressDialog) and w.isVisible()
    ]


def test_png_in_strips_matches_one_render(qtbot, tmp_path, window, monkeypatch):
    monkeypatch.setattr(export_job, "STRIP_PIXELS", 60_000)  # many strips
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "costs.png"
    exporter.ask_width = lambda: 800
    job = exporter.export_panel("costs", "png")
    assert len(job.strips) > 3 and not job.done  # returns at once; painting follows
    assert job.wait() == tmp_path / "costs.png", window.files.reports
    got = np.asarray(Image.open(tmp_path / "costs.png").convert("RGB")).astype(int)
    assert render_png(exporter.panel("costs"), 800).save(str(tmp_path / "one.png"), "PNG")
    want = np.asarray(Image.open(tmp_path / "one.png").convert("RGB")).astype(int)
    assert got.shape == want.shape and got.shape[1] == 800
    assert np.abs(got - want).mean() < 2.0  # strip edges may anti-alias a little apart
    assert got.std() > 10
    assert window.statusBar().currentMessage() == "Exported costs.png"


def test_svg_in_strips_is_valid(qtbot, tmp_path, window):
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "window"
    job = exporter.export_panel("window", "svg")
    assert job.wait() == tmp_path / "window.svg"
    root = ET.parse(tmp_path / "window.svg").getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20


def test_a_long_export_shows_progress_and_cancel_leaves_no_file(
    qtbot, tmp_path, window, monkeypatch
):
    monkeypatch.setattr(export_job, "STRIP_PIXELS", 20_000)
    monkeypatch.setattr(export_job, "SHOW_AFTER_MS", 0)  # "long" at once
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "window.png"
    exporter.ask_width = lambda: 4000
    job = exporter.export_panel("window", "png")
    qtbot.waitUntil(lambda: bool(_progress_dialogs()), timeout=10000)
    (dialog,) = _progress_dialogs()
    assert dialog.labelText() == "Exporting window.png…"
    (button,) = dialog.findChildren(QPushButton)
    assert button.text() == "Cancel"
    button.click()
    assert job.done and job.cancelled and not _progress_dialogs()
    assert not (tmp_path / "window.png").exists()
    assert window.statusBar().currentMessage() == "Export cancelled"


def test_an_unwritable_place_is_reported(qtbot, tmp_path, window):
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "no such folder" / "w.svg"
    job = exporter.export_panel("weights", "svg")
    assert job.done and job.wait() is None
    assert "the folder does not exist" in window.files.reports[-1]


def test_cancel_while_encoding_never_waits_for_the_encoder(qtbot, tmp_path, window, monkeypatch):
    """Cancel during the PNG encoding returns at once (the GUI thread used to join the
    encoder thread: a 4000 px PNG froze the window for a second); the encoder removes its
    file when it ends."""
    import threading

    from PySide6.QtGui import QImage

    release = threading.Event()
    real_save = QImage.save

    def slow_save(self, *args):
        release.wait(10)
        return real_save(self, *args)

    monkeypatch.setattr(QImage, "save", slow_save)
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "window.png"
    exporter.ask_width = lambda: 600
    job = exporter.export_panel("window", "png")
    qtbot.waitUntil(lambda: job._encoder is not None, timeout=10000)
    job.cancel()  # returns while the encoder is still blocked
    assert job.done and job.cancelled and not release.is_set()
    assert job._encoder.is_alive()
    release.set()
    job._encoder.join(10)
    assert not (tmp_path / "window.png").exists()


def test_strips_after_a_slow_one_are_thinner(qtbot, tmp_path, window):
    """A panel that paints slowly (a PNG at 4000 px) is split finer after the first strip
    has been timed. Before: every strip had the first one's 400,000 pixels, however slow."""
    import time

    exporter = window.tools["export"]
    widget = exporter.panel("window")
    real_render = widget.render
    painted: list[int] = []

    def slow_render(painter, at, region):  # 2 ms per row painted
        painted.append(region.boundingRect().height())
        time.sleep(region.boundingRect().height() * 0.002)
        return real_render(painter, at, region)

    widget.render = slow_render
    exporter.ask_path = lambda *a: tmp_path / "window.png"
    exporter.ask_width = lambda: 2560
    job = exporter.export_panel("window", "png")
    first = job.strips[0].height()
    assert job.wait() == tmp_path / "window.png"
    assert sum(painted) == widget.height() and painted[0] == first
    # 12 ms at 2 ms a row is 6 rows; a loaded machine only makes the sleeps longer
    assert first > 30 and len(painted) > 3 and max(painted[1:]) <= 20, painted
    assert [s.height() for s in job.strips] == painted


def test_png_strips_never_grow_past_the_first(qtbot, tmp_path, window):
    """Strips after cheap rows (empty space) used to double, up to 4 times the first: the
    next one then met the chart or a paragraph at 4000 px and took 35-50 ms on the GUI
    thread. A PNG's strips now stay at most as tall as the first."""
    exporter = window.tools["export"]
    widget = exporter.panel("costs")
    real_render = widget.render
    painted: list[int] = []

    def counted(painter, at, region):
        painted.append(region.boundingRect().height())
        return real_render(painter, at, region)

    widget.render = counted
    exporter.ask_path = lambda *a: tmp_path / "costs.png"
    exporter.ask_width = lambda: 640  # fast strips: the old rule doubled them
    job = exporter.export_panel("costs", "png")
    first = job.strips[0].height()
    assert job.wait() == tmp_path / "costs.png"
    assert sum(painted) == widget.height() and len(painted) > 1
    assert max(painted) <= first, painted


def test_png_canvas_is_filled_strip_by_strip(qtbot, tmp_path, window):
    """Filling a 4000-px canvas with the background at once took 30-45 ms on the GUI thread
    (``QImage.fill`` keeps the interpreter lock): each strip fills its own rows now, a few
    rows ahead of its painting. Every pixel ends up painted, as in one render."""
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "costs.png"
    exporter.ask_width = lambda: 997  # an odd scale: strip edges fall between pixels
    job = exporter.export_panel("costs", "png")
    image = job._image
    assert image is not None and len(job.strips) > 2
    job._step()  # the first strip: filled its rows and a few more, not the whole canvas
    assert 0 < job._filled < image.height() / 2
    assert job.wait() == tmp_path / "costs.png", window.files.reports
    got = np.asarray(Image.open(tmp_path / "costs.png").convert("RGBA")).astype(int)
    assert got[..., 3].min() == 255  # no row left unfilled between strips
    assert render_png(exporter.panel("costs"), 997).save(str(tmp_path / "one.png"), "PNG")
    want = np.asarray(Image.open(tmp_path / "one.png").convert("RGBA")).astype(int)
    assert got.shape == want.shape
    assert np.abs(got - want).mean() < 2.0
    rows = np.abs(got - want).reshape(got.shape[0], -1).mean(axis=1)
    assert rows.max() < 40, int(rows.argmax())  # no stripe of background over a painted row


def test_svg_strips_never_get_thinner(qtbot, tmp_path, window):
    """An SVG keeps no clipping: a thinner strip would only write the items it touches again."""
    import time

    exporter = window.tools["export"]
    widget = exporter.panel("window")
    real_render = widget.render
    widget.render = lambda painter, at, region: (time.sleep(0.05), real_render(painter, at, region))
    exporter.ask_path = lambda *a: tmp_path / "window.svg"
    job = exporter.export_panel("window", "svg")
    planned = [s.height() for s in job.strips]
    assert job.wait() == tmp_path / "window.svg"
    assert [s.height() for s in job.strips] == planned


def _svg_pixels(path, size) -> np.ndarray:
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(path))
    image = QImage(size, QImage.Format.Format_RGB32)  # the view box: the panel's pixels
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return _rgb(image)


def _rgb(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, line = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, count=line * h).reshape(h, line)
    return rows[:, : w * 3].reshape(h, w, 3).astype(int)


def test_svg_of_the_maps_in_many_strips_shows_every_map(qtbot, tmp_path, window, monkeypatch):
    """An SVG keeps no clipping: the view's cached background, written whole on every strip,
    covered the maps of the strips before it (only the last strip's maps were left)."""
    monkeypatch.setattr(export_job, "STRIP_PIXELS", 20_000)  # many strips
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "maps.svg"
    panel = exporter.panel("maps")
    job = exporter.export_panel("maps", "svg")
    assert len(job.strips) > 4
    assert job.wait() == tmp_path / "maps.svg"
    got, want = _svg_pixels(tmp_path / "maps.svg", panel.size()), _rgb(panel.grab().toImage())
    assert got.shape == want.shape
    # the maps' own pixels: far from the background (white) on screen, and in the SVG
    maps = np.abs(want - 255).sum(axis=2) > 60
    assert maps.mean() > 0.05
    assert np.abs(got[maps] - want[maps]).mean() < 20
    views = panel.findChildren(export_job.QGraphicsView)
    assert views and all(v.cacheMode() for v in views)  # the cache is back after


def test_svg_draws_scatter_symbols_as_vectors(qtbot, tmp_path, window, monkeypatch):
    """pyqtgraph drew each scatter symbol (the wiring view's dots) as a piece of a cached
    pixmap: in an SVG one PNG-encoded image per point, on the GUI thread. During an SVG
    export scatters are in pyqtgraph's export mode (a vector path per point), after it not."""
    # an SVG strip writes every item it touches whole, and strips are sized by how long the
    # last one took: on a loaded machine more strips, each drawing the symbols again. One
    # strip makes the two exports' counts comparable (they differed by 16 under load).
    monkeypatch.setattr(export_job, "STRIP_PIXELS", 10**9)
    window.tools["wiring_view"].show()
    view = window.tools["wiring_view"].view
    qtbot.waitUntil(lambda: sum(len(d.data) for d in view._dots if d.isVisible()) > 4)
    points = sum(len(d.data) for d in view._dots if d.isVisible())
    exporter = window.tools["export"]

    def images(name: str) -> int:
        exporter.ask_path = lambda *a: tmp_path / name
        job = exporter.export_panel("window", "svg")
        assert job.wait() == tmp_path / name
        root = ET.parse(tmp_path / name).getroot()
        return sum(1 for e in root.iter() if e.tag.endswith("image"))

    vector = images("vector.svg")
    assert all(d._exportOpts is False for d in view._dots)  # back to the screen's way
    monkeypatch.setattr(export_job.ExportJob, "_vector_symbols", lambda self: None)
    cached = images("cached.svg")  # as before: a pixmap piece per point
    assert cached - vector == points, (cached, vector, points)


def test_the_png_encoder_runs_below_the_gui_thread(qtbot, tmp_path, window, monkeypatch):
    """The PNG is encoded on its own thread, which lowers its priority as every worker does
    (it ran at the GUI thread's until s10)."""
    import threading

    lowered: list[str] = []
    monkeypatch.setattr(
        export_job, "lower_this_thread", lambda: lowered.append(threading.current_thread().name)
    )
    exporter = window.tools["export"]
    exporter.ask_path = lambda *a: tmp_path / "costs.png"
    exporter.ask_width = lambda: 400
    job = exporter.export_panel("costs", "png")
    assert job.wait() == tmp_path / "costs.png", window.files.reports
    assert lowered == ["png-encoder"]
