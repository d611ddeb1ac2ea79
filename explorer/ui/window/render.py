"""Draw a scene's figures to PNG files offscreen, with the same widgets as the window.

Used by ``conv-explorer render``. Each widget is laid out at the requested width (and a
height that suits its content), shown with ``WA_DontShowOnScreen`` so that nothing
flashes on a desktop, and grabbed. Works on Qt's ``offscreen`` platform; a
``QApplication`` is created if there is none (choosing ``offscreen`` when Linux has no
display).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from explorer.core.analysis.costs import StackCost, find_comparisons
from explorer.ui.views.cost_view import CostView
from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.views.weight_view import WeightView

__all__ = ["figure_name", "grid_height", "render_figures"]

_APP: QtWidgets.QApplication | None = None
_MAX_TILES = 256  # most channels drawn in one figure


def _application() -> QtWidgets.QApplication:
    """The running QApplication, or a new one (offscreen when Linux has no display)."""
    global _APP
    app = QtWidgets.QApplication.instance()
    if isinstance(app, QtWidgets.QApplication):
        return app
    if app is not None:
        raise RuntimeError("a QCoreApplication without widgets is running; cannot draw figures")
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _APP = QtWidgets.QApplication([sys.argv[0] if sys.argv else "conv-explorer"])
    return _APP


def figure_name(index: int, kind: str, what: str) -> str:
    """``layer_NN_KIND_WHAT.png`` with ``NN`` the 1-based layer number (as the window
    and the error messages count layers)."""
    return f"layer_{index + 1:02d}_{kind}_{what}.png"


def grid_height(shape: Sequence[int], width: int, *, aspect: float = 1.6) -> int:
    """A figure height that shows ``C`` tiles of ``H×W`` at ``width`` without much waste.

    Columns are chosen so the grid is about ``aspect`` times wider than tall.
    """
    c, h, w = (int(shape[0]), int(shape[1]), int(shape[2]))
    c = min(c, _MAX_TILES)
    cols = max(1, min(c, round(math.sqrt(c * aspect * h / w))))
    rows = math.ceil(c / cols)
    tile_w = max(8.0, (width - 90 - cols * 6) / cols)
    tile_h = tile_w * h / w
    height = rows * (tile_h + 22) + 70
    return int(min(max(height, 220), 3 * width))


def _grab(widget: QtWidgets.QWidget, size: tuple[int, int], path: Path) -> Path:
    widget.resize(*size)
    if not widget.isVisible():
        widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.show()
    app = QtWidgets.QApplication.instance()
    for _ in range(3):  # layouts, then pyqtgraph's deferred range updates, then paint
        app.processEvents()
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def _maps(grid: FeatureMapGrid, maps: np.ndarray, title: str, width: int, path: Path) -> Path:
    grid.show_grid()
    grid.set_page_size(min(maps.shape[0], _MAX_TILES))
    grid.set_page(0)
    grid.set_maps(maps, title=title)
    return _grab(grid, (width, grid_height(maps.shape, width)), path)


def _weights_height(kind: str, weights: dict[str, np.ndarray], width: int) -> int:
    key = next((k for k in reversed(list(weights)) if k.endswith("weight")), "weight")
    rows = int(np.shape(weights.get(key, np.zeros((1, 1))))[0])
    return int(min(max(420, 260 + 5 * rows), 1.2 * width))


def render_figures(
    scene: Any,
    image: np.ndarray,
    results: Sequence[Any],
    cost: StackCost,
    out_dir: str | Path,
    *,
    width: int = 1600,
    timings: Mapping[int, Any] | None = None,
) -> list[Path]:
    """Write the figures of a run as PNG files.

    Parameters
    ----------
    scene
        The :class:`explorer.core.io.scene.Scene` (its ``layers`` and ``title`` are used).
    image
        The ``(C, H, W)`` input of the stack.
    results
        :class:`explorer.core.compute.run.LayerResult` of each layer (anything with ``index``,
        ``kind``, ``output``, ``weights`` and ``seconds``).
    cost
        :func:`explorer.core.analysis.costs.stack_cost` of the stack on ``image``.
    out_dir
        Folder to write to (created if missing).
    width
        Width of every figure in pixels.
    timings
        Warm :class:`explorer.core.compute.timing.Timing` per layer index for the cost figure's
        time column (none: the column is left out).

    Returns
    -------
    list of Path
        ``input.png``, then ``layer_NN_KIND_maps.png`` and ``layer_NN_KIND_weights.png``
        per layer, then ``costs.png``.
    """
    _application()
    width = int(width)
    if width < 200:
        raise ValueError(f"figure width must be at least 200 pixels, got {width}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    grid, weights_view, cost_view = FeatureMapGrid(), WeightView(), CostView()
    weights_view.set_interactive(False)
    paths: list[Path] = []
    try:
        title = "input" + (f" — {scene.title}" if getattr(scene, "title", "") else "")
        grid.set_colormap("gray")
        paths.append(_maps(grid, np.asarray(image), title, width, out / "input.png"))
        grid.set_colormap("viridis")
        for result in results:
            i, kind = int(result.index), str(result.kind)
            label = f"layer {i + 1} · {kind} · output"
            paths.append(
                _maps(grid, result.output, label, width, out / figure_name(i, kind, "maps"))
            )
            in_channels = cost.layers[i].input_shape[0] if i < len(cost.layers) else None
            weights_view.set_layer(kind, dict(result.weights), in_channels=in_channels)
            size = (width, _weights_height(kind, result.weights, width))
            paths.append(_grab(weights_view, size, out / figure_name(i, kind, "weights")))
        comparisons = find_comparisons(list(getattr(scene, "layers", ())), cost)
        # warm times (explorer.core.compute.timing), never the cold pass that made the maps
        cost_view.set_costs(cost, comparisons, dict(timings or {}))
        cost_view.resize(width, 400)
        height = max(cost_view.sizeHint().height(), cost_view.minimumSizeHint().height(), 300)
        paths.append(_grab(cost_view, (width, height + 10), out / "costs.png"))
    finally:
        for widget in (grid, weights_view, cost_view):
            widget.close()
            widget.deleteLater()
        QtWidgets.QApplication.instance().processEvents()
    return paths
