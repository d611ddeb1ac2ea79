"""Drawing one frame of a walk-through with a QPainter (screen, PNG, SVG and GIF alike).

A frame is laid out on a 1280×720 canvas, scaled to whatever it is painted into:

* left, the layer's input around the region as a stack of channel sheets (2.5-D): the
  window's taps outlined on the channels being summed, padded cells hatched, the channels
  an output does not read dimmed (groups, depthwise);
* middle, the step itself with its numbers: window × kernel = products (k×k), or the vector
  meeting the rows of the matrix (1×1), or the bias / BN / activation;
* right, the output channel's map over the region filling in, and the output vector
  ``Y[h,w,:]`` at this position;
* below, the step as a formula and the running sum.

Everything drawn is read from the precomputed :class:`~explorer.core.analysis.walkthrough.Walk`:
painting computes nothing.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QPainter,
    QPen,
)

from explorer.core.analysis.inspect import format_value
from explorer.core.analysis.walkthrough import Step, Walk
from explorer.ui.tools.walkthrough.walkthrough_stack import stack_of
from explorer.ui.tools.walkthrough.walkthrough_style import (
    BG,
    CURRENT,
    INK,
    MUTED,
    font,
    grid,
    value_color,
    value_scale,
)

__all__ = ["FRAME_SIZE", "paint_frame", "value_color"]

#: The logical canvas every frame is laid out on (16:9).
FRAME_SIZE = (1280, 720)


def _header(p: QPainter, title: str, walk: Walk, step: Step) -> None:
    p.setPen(INK)
    p.setFont(font(22, True))
    p.drawText(QRectF(24, 10, 1000, 32), Qt.AlignmentFlag.AlignLeft, title)
    p.setFont(font(16))
    p.setPen(MUTED)
    where = (
        f"position {step.position + 1}/{len(walk.positions)} · Y[{step.row},{step.col},:]"
        f" · step {step.index + 1}/{len(walk.steps)}"
    )
    p.drawText(QRectF(760, 14, 496, 28), Qt.AlignmentFlag.AlignRight, where)


#: How a part's steps are titled (a part of another name: by its name).
_PART_LABELS = {"conv": "", "pointwise": "pointwise 1×1 · "}


def _middle(p: QPainter, walk: Walk, step: Step, box: QRectF) -> None:
    p.setFont(font(17, True))
    p.setPen(INK)
    part = _PART_LABELS.get(step.part, f"{step.part} · ")
    if step.phase == "window" and step.window.size:
        k = step.window.shape
        cell = min(58.0, (box.width() - 80) / (3 * k[1]), (box.height() - 60) / k[0])
        y = box.top() + 40
        x = box.left() + 10
        ch = step.channels[-1]
        scale = max(value_scale(step.window), 1e-12)
        grid(p, x, y, step.window, cell, scale, step.padded, title=f"X window, c'={ch}")
        x2 = x + k[1] * cell + 40
        kname = (
            f"its own kernel, c={step.out_channel}"
            if step.per_channel
            else f"kernel K[·,·,{ch},{step.out_channel}]"
        )
        grid(p, x2, y, step.kernel, cell, value_scale(step.kernel), title=kname)
        x3 = x2 + k[1] * cell + 40
        grid(p, x3, y, step.products, cell, value_scale(step.products), title="products")
        p.setFont(font(30, True))
        p.setPen(INK)
        mid = y + k[0] * cell / 2
        p.drawText(QPointF(x2 - 30, mid + 10), "×")
        p.drawText(QPointF(x3 - 30, mid + 10), "=")
        p.setFont(font(18, True))
        p.drawText(
            QRectF(box.left(), y + k[0] * cell + 12, box.width(), 30),
            Qt.AlignmentFlag.AlignCenter,
            f"Σ products = {format_value(float(step.products.sum()))}",
        )
    elif step.phase == "window":
        p.drawText(
            box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, f"{part}{step.text}"
        )
    elif step.phase == "matrix":
        _matrix(p, step, box, walk)
    else:
        label = {
            "bias": "add the bias",
            "bn": "BatchNorm",
            "activation": "activation",
            "output": "the output value",
        }[step.phase]
        p.setFont(font(24, True))
        p.drawText(
            QRectF(box.left(), box.top() + 60, box.width(), 40),
            Qt.AlignmentFlag.AlignCenter,
            f"{part}{label}",
        )
        p.setFont(font(40, True))
        p.setPen(CURRENT)
        p.drawText(
            QRectF(box.left(), box.top() + 120, box.width(), 60),
            Qt.AlignmentFlag.AlignCenter,
            format_value(step.running, 4),
        )


def _matrix(p: QPainter, step: Step, box: QRectF, walk: Walk) -> None:
    """The vector X[h,w,:] meeting the rows of the C_out×C_in matrix."""
    m = step.matrix
    n_out, n_in = m.shape
    show_out, show_in = min(n_out, 16), min(n_in, 16)
    rows0 = max(0, min(step.channels[0], n_out - show_out))
    cell = min(56.0, (box.width() - 120) / (show_in + 2), (box.height() - 100) / (show_out + 2))
    x, y = box.left() + 10, box.top() + 40 + cell + 16
    numbers = cell >= 26
    vec = step.vector[:show_in][None, :]
    what = "X[h,w,:]"
    if step.source != "X":  # the output of the layer's part before this one
        order = list(dict.fromkeys(s.part for s in walk.steps))
        before = order[max(order.index(step.part) - 1, 0)]
        what = f"{step.source}[h,w,:], the {before} output"
    grid(p, x, y - cell - 14, vec, cell, value_scale(step.vector), numbers=numbers)
    p.setFont(font(15, True))
    p.setPen(INK)
    p.drawText(QPointF(x, y - cell - 22), f"{what} (C_in = {n_in})")
    part = m[rows0 : rows0 + show_out, :show_in]
    rect = grid(p, x, y, part, cell, value_scale(m), numbers=numbers)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(CURRENT, 3))
    lo, hi = step.channels[0] - rows0, step.channels[-1] - rows0
    p.drawRect(QRectF(rect.left(), y + lo * cell, rect.width(), (hi - lo + 1) * cell))
    p.setPen(MUTED)
    p.setFont(font(13))
    more = []
    if n_out > show_out:
        more.append(f"rows {rows0}…{rows0 + show_out - 1} of {n_out}")
    if n_in > show_in:
        more.append(f"first {show_in} of {n_in} columns")
    p.drawText(
        QPointF(x, rect.bottom() + 18),
        f"K: {n_out}×{n_in}"
        + (f" ({', '.join(more)})" if more else "")
        + " · the same matrix at every pixel",
    )
    y_col = step.values[rows0 : rows0 + show_out][:, None]
    yx = rect.right() + 40
    grid(p, yx, y, y_col, cell, value_scale(step.values), numbers=numbers)
    p.setPen(INK)
    p.setFont(font(15, True))
    p.drawText(QPointF(yx - 8, y - 8), "Y[h,w,:]")
    p.setFont(font(26, True))
    p.drawText(QPointF(rect.right() + 10, y + cell * show_out / 2 + 8), "→")


def _output(p: QPainter, walk: Walk, step: Step, box: QRectF) -> None:
    rows = sorted({r for r, _ in walk.positions})
    cols = sorted({c for _, c in walk.positions})
    values = np.full((len(rows), len(cols)), np.nan)
    done = step.position if step.phase != "output" else step.position + 1
    for i, (r, c) in enumerate(walk.positions[:done]):
        values[rows.index(r), cols.index(c)] = walk.outputs[i, walk.out_channel]
    cell = min(40.0, box.width() / max(len(cols), 1), (box.height() * 0.55) / max(len(rows), 1))
    cell = min(cell, 30.0)
    rect = grid(
        p,
        box.left(),
        box.top() + 40,
        values,
        cell,
        value_scale(walk.outputs[:, walk.out_channel]),
        numbers=cell >= 30,
        title=f"output channel {walk.out_channel}",
        left=True,
    )
    p.setFont(font(12))
    p.setPen(MUTED)
    p.drawText(
        QPointF(box.left(), rect.bottom() + 16),
        f"rows {rows[0]}…{rows[-1]} · cols {cols[0]}…{cols[-1]}",
    )
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(CURRENT, 3))
    p.drawRect(
        QRectF(
            rect.left() + cols.index(step.col) * cell,
            rect.top() + rows.index(step.row) * cell,
            cell,
            cell,
        )
    )
    n = len(step.values)
    show = min(n, 12)
    start = max(0, min(walk.out_channel - show // 2, n - show))
    vy = rect.bottom() + 50
    vcell = min(26.0, (box.bottom() - vy) / max(show, 1))
    p.setPen(INK)
    p.setFont(font(14, True))
    name = step.result
    p.drawText(
        QPointF(box.left(), vy - 8),
        f"{name}[{step.row},{step.col},:] "
        f"({n} channels{'' if show == n else f', {start}…{start + show - 1}'})",
    )
    col = step.values[start : start + show][:, None]
    vrect = grid(p, box.left(), vy, col, vcell, value_scale(step.values), numbers=False)
    p.setFont(font(min(vcell * 0.6, 14)))
    for i in range(show):
        v = float(col[i, 0])
        p.setPen(CURRENT if start + i == walk.out_channel else INK)
        text = f"c={start + i}: " + (format_value(v) if math.isfinite(v) else "…")
        p.drawText(QPointF(vrect.right() + 8, vy + (i + 0.7) * vcell), text)


def paint_frame(
    p: QPainter, width: float, height: float, walk: Walk, index: int, title: str = ""
) -> None:
    """Paint step ``index`` of ``walk`` into a ``width × height`` area at the origin."""
    step = walk.steps[max(0, min(index, len(walk.steps) - 1))]
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    s = min(width / FRAME_SIZE[0], height / FRAME_SIZE[1])
    p.fillRect(QRectF(0, 0, width, height), BG)
    p.translate((width - FRAME_SIZE[0] * s) / 2, (height - FRAME_SIZE[1] * s) / 2)
    p.scale(s, s)
    _header(p, title or f"{walk.kind} layer", walk, step)
    stack_of(walk).paint(p, step)
    _middle(p, walk, step, QRectF(430, 56, 520, 520))
    _output(p, walk, step, QRectF(975, 56, 285, 530))
    p.setPen(QPen(QColor("#e5e5ea"), 1))
    p.drawLine(QPointF(24, 600), QPointF(1256, 600))
    p.setPen(INK)
    p.setFont(font(20))
    p.drawText(
        QRectF(24, 610, 1232, 60), Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, step.text
    )
    if step.phase in ("window", "matrix") and math.isfinite(step.running):
        p.setFont(font(18, True))
        p.setPen(CURRENT)
        # the channel followed in this part (an intermediate D may have fewer than Y)
        c = walk.out_channel if step.result == "Y" else min(walk.out_channel, len(step.values) - 1)
        p.drawText(
            QRectF(24, 670, 1232, 36),
            Qt.AlignmentFlag.AlignRight,
            f"{step.result}[{step.row},{step.col},{c}] so far: {format_value(step.running, 4)}",
        )
    p.restore()
