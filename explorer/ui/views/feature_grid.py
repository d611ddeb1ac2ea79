"""Every channel of a ``(C, H, W)`` stack of feature maps as a tile, page by page.

All tiles of a page live in ONE :class:`pyqtgraph.ViewBox` (y pointing down, aspect
locked); a tile is an :class:`~pyqtgraph.ImageItem` plus a text label, both reused from
update to update. Colour mapping is left to pyqtgraph: each item gets a shared lookup table
and its levels, so setting 64 maps of 256×256 is a few ms and nothing is drawn while the
widget is hidden.

Array convention: a tile's ``ImageItem.image`` **is** ``maps[channel]`` (shape ``(H, W)``,
float32, not transposed): items use ``axisOrder="row-major"``, so x is the column and y the
row, and row 0 is drawn at the top. Channels are numbered from 0, as in torch.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from explorer.core.analysis.map_ranges import ChannelRanges, channel_ranges
from explorer.core.text import shape_text
from explorer.ui.views.channel_view import ChannelView
from explorer.ui.views.compact_axis import speed_up
from explorer.ui.views.tiles import Tile, best_columns, fitted_labels, locate, steady_header
from explorer.ui.widgets.colormaps import (
    COLORMAPS,
    DEFAULT_COLORMAP,
    channel_levels,
    colormap,
    is_diverging,
    lookup_table,
)
from explorer.ui.widgets.one_pass import paint_together
from explorer.ui.widgets.plot_utils import make_layout_widget, style_plot, theme_colors
from explorer.ui.widgets.text_line import TextLine

__all__ = ["SCALE_MODES", "FeatureMapGrid"]

SCALE_MODES = ("shared", "per_channel")
_GAP_PX = 6  # space between tiles, screen pixels
_TITLE_PX = 16  # height of a tile's title, screen pixels
_COLORBAR_PX = 78


class FeatureMapGrid(QtWidgets.QWidget):
    """Feature maps as a grid of colour-mapped tiles, with paging and an enlarged view.

    Parameters
    ----------
    parent
        Parent widget.
    page_size
        Most tiles on one page (64 by default).

    Signals
    -------
    pixel_clicked(channel, row, col)
        A pixel of a tile (or of the enlarged channel) was clicked; clicking a tile also
        enlarges it.
    pixel_hovered(channel, row, col, value)
        The mouse moved onto another pixel; the widget also shows it as text.
    """

    pixel_clicked = QtCore.Signal(int, int, int)
    pixel_hovered = QtCore.Signal(int, int, int, float)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, page_size: int = 64) -> None:
        super().__init__(parent)
        self._maps: np.ndarray | None = None
        self._ranges: ChannelRanges | None = None  # of _maps, from the worker
        self._levels = np.zeros((0, 2))
        self._finite = np.zeros(0, bool)
        self._colormap = DEFAULT_COLORMAP
        self._scale_mode = "shared"
        self._page_size = max(1, int(page_size))
        self._names: list[str] | None = None  # tile titles, when the channels have names
        self._page = 0
        self._enlarged: int | None = None
        self._grid_layout: tuple[int, float, float, float, float] | None = None
        self._last_hover: tuple[int, int, int] | None = None
        # what the grid last drew, so an unchanged input redraws nothing (see _apply_page)
        self._source: np.ndarray | None = None  # the read-only array last given to set_maps
        self._title_arg: str | None = None  # the title last given to set_maps
        self._bar_state: tuple | None = None  # colour bar: (colour map, levels, shared)
        self._layout_key: tuple | None = None  # tile placement: see _layout_tiles
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        _, foreground = theme_colors()
        self._title = TextLine()  # a new title repaints, never relays the window out
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._page_label = QtWidgets.QLabel()
        self._prev = QtWidgets.QToolButton(text="◀", toolTip="Previous page of channels")
        self._next = QtWidgets.QToolButton(text="▶", toolTip="Next page of channels")
        self._prev.clicked.connect(lambda: self.set_page(self._page - 1))
        self._next.clicked.connect(lambda: self.set_page(self._page + 1))
        self._back = QtWidgets.QPushButton("← all channels", toolTip="Back to the grid (Esc)")
        self._back.clicked.connect(self.show_grid)
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 0)
        header.setSpacing(12)  # the title never runs into the page text
        header.addWidget(self._back)
        header.addWidget(self._title, 1)
        header.addWidget(self._page_label)
        header.addWidget(self._prev)
        header.addWidget(self._next)
        steady_header((self._page_label, self._prev, self._next))

        self._glw = make_layout_widget()
        self._view = self._glw.addViewBox(
            row=0, col=0, lockAspect=True, invertY=True, enableMouse=False, enableMenu=False
        )
        self._colorbar = pg.ColorBarItem(
            values=(0.0, 1.0), width=14, interactive=False, colorMapMenu=False
        )
        style_plot(self._colorbar, font_px=11)
        speed_up(self._colorbar.axis)  # new levels on every result: drawn the quick way
        self._colorbar.setFixedWidth(_COLORBAR_PX)
        self._glw.addItem(self._colorbar, row=0, col=1)
        self._glw.ci.layout.setColumnStretchFactor(0, 1)
        self._view.sigResized.connect(self._layout_tiles)
        self._glw.scene().sigMouseClicked.connect(self._on_grid_click)
        self._glw.scene().sigMouseMoved.connect(self._on_grid_move)
        self._tile_font = QtGui.QFont()
        self._tile_font.setPixelSize(11)
        self._tile_color = foreground
        self._tiles: list[Tile] = []

        self._channel_view_made: ChannelView | None = None  # made on the first enlarge
        self._message = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._stack = QtWidgets.QStackedWidget()
        for page in (self._glw, self._message):
            self._stack.addWidget(page)
        self._readout = QtWidgets.QLabel(" ")
        self._readout.setMinimumWidth(1)  # a long value never widens the grid (s10d)
        self._readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._readout)
        escape = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), self)
        escape.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.show_grid)
        self.clear()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        """Paint the tiles in the same pass as the weights (:mod:`~explorer.ui.widgets.one_pass`)."""
        super().showEvent(event)
        paint_together(self._glw)

    @property
    def _channel_view(self) -> ChannelView:
        """The enlarged view (two plots: most of this widget's build time), made on first use."""
        if (view := self._channel_view_made) is None:
            self._channel_view_made = view = ChannelView()
            view.pixel_clicked.connect(lambda r, c: self.pixel_clicked.emit(self._enlarged, r, c))
            view.pixel_hovered.connect(lambda r, c, v: self._hovered(self._enlarged, r, c, v))
            self._stack.addWidget(view)
        return view

    # ------------------------------------------------------------------ public API
    def set_maps(
        self,
        maps: np.ndarray,
        *,
        title: str = "",
        channel_names: list[str] | None = None,
        ranges: ChannelRanges | None = None,
    ) -> None:
        """Show every channel of ``maps``.

        Parameters
        ----------
        maps
            ``(C, H, W)`` array (a ``(H, W)`` array is one channel); kept as float32
            without a copy when it already is C-contiguous float32.
        title
            Heading above the grid, e.g. ``"layer 2 · separable"``.
        channel_names
            Tile titles (e.g. ``["R", "G", "B"]``); default ``"ch 0"``, ``"ch 1"``, …
        ranges
            :func:`~explorer.core.analysis.map_ranges.channel_ranges` of ``maps`` when the
            worker computed them (``LayerResult.ranges``): then the GUI thread does not
            read every value to find the colour levels.
        """
        names = list(channel_names) if channel_names else None
        if self._unchanged(maps, title, names):
            return  # the same read-only result again (e.g. a cached layer re-sent)
        self._names = names
        self._source = maps if isinstance(maps, np.ndarray) else None
        maps = np.asarray(maps)
        if maps.ndim == 2:
            maps = maps[None]
        if maps.ndim != 3 or 0 in maps.shape:
            raise ValueError(f"feature maps must be a non-empty (C, H, W) array, got {maps.shape}")
        self._maps = np.ascontiguousarray(maps, dtype=np.float32)
        self._ranges = ranges if ranges is not None and len(ranges.finite) == len(maps) else None
        self._title_arg = title
        self._title.setText(
            f"{title}   ({shape_text(maps.shape)})" if title else shape_text(maps.shape)
        )
        self._compute_levels()
        self._page = min(self._page, self.page_count - 1)
        if self._enlarged is not None and self._enlarged < maps.shape[0]:
            self.enlarge(self._enlarged)
        else:
            self.show_grid()

    def clear(self, message: str = "") -> None:
        """Drop the maps and show ``message`` instead."""
        self._maps = None
        self._ranges = None
        self._source = None
        self._layout_key = None
        self._levels = np.zeros((0, 2))
        self._enlarged = None
        for tile in self._tiles:
            tile.set_visible(False)
            tile.image.clear()
        self._title.setText("")
        self._message.setText(message)
        self._stack.setCurrentWidget(self._message)
        self._readout.setText(" ")
        self._update_controls()

    def set_colormap(self, name: str) -> None:
        """Use the colour map ``name`` (see :data:`explorer.ui.widgets.colormaps.COLORMAPS`)."""
        if name not in COLORMAPS:
            raise ValueError(f"unknown colour map {name!r}; expected one of {', '.join(COLORMAPS)}")
        self._colormap = name
        self._refresh()

    def set_scale_mode(self, mode: str) -> None:
        """``"shared"``: one colour scale for all channels; ``"per_channel"``: one each."""
        if mode not in SCALE_MODES:
            raise ValueError(
                f"unknown scale mode {mode!r}; expected one of {', '.join(SCALE_MODES)}"
            )
        self._scale_mode = mode
        self._refresh()

    def set_page_size(self, page_size: int) -> None:
        """Show at most ``page_size`` tiles per page."""
        first = self._page * self._page_size
        self._page_size = max(1, int(page_size))
        self._page = first // self._page_size
        if self._maps is not None and self._enlarged is None:
            self.show_grid()

    def set_page(self, page: int) -> None:
        """Show page ``page`` (0-based, clamped to the pages there are)."""
        self._page = max(0, min(int(page), self.page_count - 1))
        if self._maps is not None:
            self.show_grid()

    def enlarge(self, channel: int) -> None:
        """Show channel ``channel`` alone, with axes and its colour scale."""
        if self._maps is None or not 0 <= channel < self._maps.shape[0]:
            return
        self._enlarged = int(channel)
        lo, hi = self._levels[channel]
        self._channel_view.set_map(
            self._maps[channel], (lo, hi), self._colormap, finite=bool(self._finite[channel])
        )
        self._stack.setCurrentWidget(self._channel_view)
        self._update_controls()

    def show_grid(self) -> None:
        """Leave the enlarged view (if any) and show the current page of tiles."""
        self._enlarged = None
        if self._maps is None:
            return
        self._apply_page()
        self._stack.setCurrentWidget(self._glw)
        self._update_controls()

    # -- read-only state, for the window and for tests
    @property
    def colormap_name(self) -> str:
        return self._colormap

    @property
    def scale_mode(self) -> str:
        return self._scale_mode

    @property
    def page(self) -> int:
        return self._page

    @property
    def page_size(self) -> int:
        return self._page_size

    @property
    def page_count(self) -> int:
        n = 0 if self._maps is None else self._maps.shape[0]
        return max(1, math.ceil(n / self._page_size))

    @property
    def enlarged_channel(self) -> int | None:
        return self._enlarged

    @property
    def message(self) -> str:
        """The text shown by :meth:`clear` (empty while maps are shown)."""
        return self._message.text() if self._maps is None else ""

    def page_text(self) -> str:
        return self._page_label.text()

    def readout_text(self) -> str:
        return self._readout.text()

    def visible_image_items(self) -> list[tuple[int, pg.ImageItem]]:
        """``(channel, item)`` for every map drawn now: the page's tiles, or the enlarged one."""
        if self._maps is None:
            return []
        if self._enlarged is not None:
            return [(self._enlarged, self._channel_view.image_item)]
        return [(t.channel, t.image) for t in self._tiles if t.image.isVisible()]

    def pixel_at(self, scene_pos: QtCore.QPointF) -> tuple[int, int, int] | None:
        """``(channel, row, col)`` under a scene position of the grid, or ``None``."""
        if self._maps is None or self._grid_layout is None:
            return None
        point = self._view.mapSceneToView(scene_pos)
        first = self._page * self._page_size
        count = min(self._page_size, self._maps.shape[0] - first)
        hit = locate(point.x(), point.y(), self._grid_layout, count, self._maps.shape[1:])
        return None if hit is None else (first + hit[0], hit[1], hit[2])

    def scene_pos_of(self, channel: int, row: int, col: int) -> QtCore.QPointF:
        """Scene position of the centre of a pixel of a tile on the current page."""
        tile = next(t for t in self._tiles if t.channel == channel and t.image.isVisible())
        self._view.updateMatrix()
        return tile.image.mapToScene(QtCore.QPointF(col + 0.5, row + 0.5))

    def graphics_view(self) -> pg.GraphicsLayoutWidget:
        """The grid's graphics view (for tests that click at a scene position)."""
        return self._glw

    # ------------------------------------------------------------------ internals
    def _unchanged(self, maps: object, title: str, names: list[str] | None) -> bool:
        """Whether ``set_maps(maps, …)`` would show exactly what is shown: the very same
        array object, which is read-only (so its values cannot have changed since), with
        the same title and channel names."""
        return (
            self._maps is not None
            and maps is self._source
            and isinstance(maps, np.ndarray)
            and not maps.flags.writeable
            and title == self._title_arg
            and names == self._names
        )

    def _compute_levels(self) -> None:
        if self._ranges is None:  # maps given without them: once, not per colour map
            self._ranges = channel_ranges(self._maps)
        self._levels, self._finite = channel_levels(
            self._maps,
            per_channel=self._scale_mode == "per_channel",
            diverging=is_diverging(self._colormap),
            ranges=self._ranges,
        )

    def _refresh(self) -> None:
        if self._maps is None:
            return
        self._compute_levels()
        if self._enlarged is not None:
            self.enlarge(self._enlarged)
        else:
            self.show_grid()

    def _apply_page(self) -> None:
        maps = self._maps
        first = self._page * self._page_size
        channels = range(first, min(first + self._page_size, maps.shape[0]))
        while len(self._tiles) < len(channels):
            self._tiles.append(Tile(self._view, self._tile_font, self._tile_color))
        lut = lookup_table(self._colormap)
        for tile, ch in zip(self._tiles, channels, strict=False):
            tile.channel = ch
            tile.image.set_map(maps[ch], self._levels[ch], lut, finite=self._finite[ch])
            tile.set_visible(True)
        for tile in self._tiles[len(channels) :]:
            tile.set_visible(False)
            tile.channel = -1
        # per channel, the bar runs from each map's own minimum to its maximum
        shared = self._scale_mode == "shared"
        levels = tuple(float(v) for v in self._levels[0]) if shared else (0.0, 1.0)
        self._set_colorbar(self._colormap, levels, shared)
        self._layout_tiles()

    def _set_colorbar(self, name: str, levels: tuple[float, float], shared: bool) -> None:
        """Colour map, levels and ticks of the bar, each set only when it changed: every
        change makes pyqtgraph lay out and draw the bar's axis again (about 1 ms)."""
        old = self._bar_state or (None, None, None)
        self._bar_state = (name, levels, shared)
        if name != old[0]:
            self._colorbar.setColorMap(colormap(name))
        if levels != old[1]:
            self._colorbar.setLevels(levels)
        if shared != old[2]:
            self._colorbar.axis.setTicks(None if shared else [[(0.0, "min"), (1.0, "max")]])

    def _layout_tiles(self) -> None:
        """Place the page's tiles in the columns that make them largest in the view."""
        if self._maps is None:
            return
        active = [t for t in self._tiles if t.channel >= 0]
        n = len(active)
        _, h, w = self._maps.shape
        width = self._view.width() if self._view.width() > 20 else 800.0
        height = self._view.height() if self._view.height() > 20 else 600.0
        first = active[0].channel if active else 0
        key = (n, first, h, w, width, height, None if self._names is None else tuple(self._names))
        if key == self._layout_key:
            return  # every tile is where it was, with the same title
        self._layout_key = key
        cols, scale = best_columns(n, (h, w), (width, height), _GAP_PX, _TITLE_PX)
        gap, title = _GAP_PX / scale, _TITLE_PX / scale
        pitch_x, pitch_y = w + gap, h + gap + title
        margin = gap / 2
        font = active[0].label.font() if active else self._tile_font
        labels = fitted_labels([t.channel for t in active], self._names, pitch_x * scale, font)
        for k, tile in enumerate(active):
            if tile.label.text() != labels[k]:
                tile.label.setText(labels[k])
            r, c = divmod(k, cols)
            x, y = c * pitch_x + margin, r * pitch_y + title
            tile.image.setPos(x, y)
            tile.label.setPos(x, y - title)
        rows = math.ceil(n / cols)
        self._grid_layout = (cols, pitch_x, pitch_y, title, margin)
        self._view.setRange(xRange=(0, cols * pitch_x), yRange=(0, rows * pitch_y), padding=0)
        # the new transform now, not in the paint: a transform changed while painting makes
        # pyqtgraph schedule a second paint of the whole grid
        self._view.updateMatrix()

    def _update_controls(self) -> None:
        n = 0 if self._maps is None else self._maps.shape[0]
        paged = n > self._page_size and self._enlarged is None
        first = self._page * self._page_size
        last = min(first + self._page_size, n) - 1
        if self._enlarged is not None:
            self._page_label.setText(f"ch {self._enlarged} of {n} — click a pixel; Esc to go back")
        elif paged:
            self._page_label.setText(
                f"ch {first}–{last} of {n} (page {self._page + 1}/{self.page_count})"
            )
        else:
            self._page_label.setText("")
        self._prev.setVisible(paged)
        self._next.setVisible(paged)
        self._prev.setEnabled(self._page > 0)
        self._next.setEnabled(self._page < self.page_count - 1)
        self._back.setVisible(self._enlarged is not None)

    def _hovered(self, channel: int, row: int, col: int, value: float) -> None:
        self._readout.setText(f"ch {channel} ({row}, {col}) = {value:.4g}")
        self.pixel_hovered.emit(channel, row, col, value)

    def _on_grid_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self._enlarged is not None:
            return
        hit = self.pixel_at(event.scenePos())
        if hit is not None:
            self.pixel_clicked.emit(*hit)
            self.enlarge(hit[0])

    def _on_grid_move(self, scene_pos: QtCore.QPointF) -> None:
        hit = self.pixel_at(scene_pos)
        if hit is None or hit == self._last_hover:
            return
        self._last_hover = hit
        self._hovered(*hit, float(self._maps[hit]))
