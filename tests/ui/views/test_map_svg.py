"""A map written into an SVG is a palette PNG (issue 16): Qt encodes the image on the GUI
thread, and a 32-bit 512² map took 60-90 ms; its 8-bit indices with the lookup table as
colour table take ≈ 7 ms. The colours written are still the lookup table's."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

from explorer.ui.widgets.colormaps import lookup_table


def _svg_images(widget, path) -> list[Image.Image]:
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    painter = QPainter(generator)
    widget.render(painter)
    painter.end()
    text = path.read_text()
    found = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)", text)
    return [Image.open(io.BytesIO(base64.b64decode("".join(b.split())))) for b in found]


def _index(value: float, low: float, high: float) -> int:
    return int(np.clip((value - low) * 256.0 / (high - low), 0, 255))


def test_a_map_in_an_svg_is_a_palette_png_with_the_table_colours(shown_item, tmp_path):
    widget, view, item = shown_item
    data = np.linspace(-1, 1, 24 * 16, dtype=np.float32).reshape(24, 16)
    lut = lookup_table("viridis")
    item.set_map(data, (-1.0, 1.0), lut, finite=True)
    view.setRange(xRange=(0, 16), yRange=(0, 24), padding=0)
    images = _svg_images(widget, tmp_path / "map.svg")
    assert len(images) == 1
    image = images[0]
    assert image.mode == "P"  # 8-bit indices + palette (was 32-bit RGB)
    assert image.size == (16, 24)
    rgb = np.asarray(image.convert("RGB"))
    for row, col in ((0, 0), (5, 7), (23, 15)):
        assert tuple(rgb[row, col]) == tuple(lut[_index(float(data[row, col]), -1.0, 1.0)])


def test_a_map_with_nan_in_an_svg_keeps_its_clear_pixels(shown_item, tmp_path):
    widget, view, item = shown_item
    data = np.zeros((4, 4), np.float32)
    data[0, 0] = np.nan
    item.set_map(data, (-1.0, 1.0), lookup_table("viridis"), finite=False)
    view.setRange(xRange=(0, 4), yRange=(0, 4), padding=0)
    (image,) = _svg_images(widget, tmp_path / "nan.svg")
    rgba = np.asarray(image.convert("RGBA"))
    assert rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == 255


def test_a_large_map_in_an_svg_is_no_larger_than_on_the_page_and_looks_the_same(
    shown_item, tmp_path, rng
):
    from PySide6.QtGui import QImage
    from PySide6.QtSvg import QSvgRenderer

    widget, view, item = shown_item
    y, x = np.mgrid[0:512, 0:512]
    data = (np.sin(x / 23.0) * np.cos(y / 31.0)).astype(np.float32)
    item.set_map(data, (-1.0, 1.0), lookup_table("viridis"), finite=True)
    view.setRange(xRange=(0, 512), yRange=(0, 512), padding=0)
    widget.repaint()
    (image,) = _svg_images(widget, tmp_path / "big.svg")
    assert image.mode == "P"
    assert image.width <= widget.width() and image.height <= widget.height()  # not 512²
    renderer = QSvgRenderer(str(tmp_path / "big.svg"))
    back = QImage(widget.size(), QImage.Format.Format_RGB32)
    back.fill(0xFFFFFFFF)
    painter = QPainter(back)
    renderer.render(painter)
    painter.end()
    got, want = _rgb(back), _rgb(widget.grab().toImage())
    assert got.shape == want.shape
    # the map's pixels (the view's inner area) look as on screen
    rect = view.sceneBoundingRect().toRect().adjusted(3, 3, -3, -3)
    inner = (slice(rect.top(), rect.bottom()), slice(rect.left(), rect.right()))
    assert np.abs(got[inner] - want[inner]).mean() < 8


def _rgb(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, line = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, count=line * h).reshape(h, line)
    return rows[:, : w * 3].reshape(h, w, 3).astype(int)
