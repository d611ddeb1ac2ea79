"""Issue 15 at projector sizes: weights legible and the layer list long enough.

* the default scene's 16×3 pointwise matrix and its 16-value bias strip show their numbers
  (the weights scroll rather than squeeze them), normal and presentation mode;
* an imported model (PaddleOCR, 19 layers): the layer list shows at least 8 rows whole
  (16 at 1920×1080, where the editor does not need the room),
  and its first layer's 3×3 kernels are drawn at least 10 px per weight.
"""

from __future__ import annotations

import pytest
from take_shots import SIZES, close_case, open_case

from explorer.ui.panels.layer_list import MIN_ROWS
from explorer.ui.views.weight_kernels import KERNEL_CELL_PX

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", ["normal", "presentation"])
def test_a_16x3_matrix_and_its_bias_show_their_numbers(qtbot, tmp_path, case, size):
    top, win = open_case(case, size, tmp_path)
    try:
        panels = win.weight_view.panels()
        matrix, bias = panels["pointwise.weight"], panels["pointwise.bias"]
        assert matrix.image_item.image.shape == (16, 3)
        assert len(matrix.cell_texts()) == 48 and len(bias.cell_texts()) == 16
        assert matrix.numbers_shown(), matrix.size()
        assert bias.numbers_shown(), bias.size()
        # readable: at least 8 pt (the numbers' font in pixels at 96 dpi)
        font = matrix.numbers.font()
        assert font.pixelSize() * 72 / 96 >= 8 or font.pointSizeF() >= 8
    finally:
        close_case(top, win)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", ["model", "model_presentation"])
def test_imported_model_list_rows_and_kernels(qtbot, tmp_path, case, size):
    top, win = open_case(case, size, tmp_path)
    try:
        view = win.layer_panel.list
        room = view.viewport().rect()
        whole = [
            row for row in range(view.count()) if room.contains(view.visualItemRect(view.item(row)))
        ]
        assert view.count() > MIN_ROWS and len(whole) >= MIN_ROWS, (len(whole), room)
        if case == "model" and size[1] >= 1080:  # the editor takes what it needs, the list
            assert len(whole) >= 2 * MIN_ROWS, len(whole)  # the rest
            assert not win.editor_area.verticalScrollBar().maximum() > 40
        assert view.sizeHintForColumn(0) <= room.width() + 1  # no row elided
        kernels = win.weight_view.panels()["weight"]
        assert kernels.image_item.image.shape == (8 * 4 - 1, 3 * 4 - 1)  # 8×3 3×3 kernels
        unit_w, unit_h = kernels.plot.vb.viewPixelSize()  # data units per screen pixel
        assert 1 / unit_w >= KERNEL_CELL_PX - 0.5 and 1 / unit_h >= KERNEL_CELL_PX - 0.5
    finally:
        close_case(top, win)
