"""The matrix of a 1×1 layer and the bias strips of the weight view.

A matrix panel's ``ImageItem.image`` is ``W[:, :, 0, 0]`` itself (rows = output channels,
drawn top to bottom); a bias strip is ``b`` as one column whose rows line up with the
matrix beside it.
"""

from __future__ import annotations

import numpy as np

from explorer.ui.views.weight_panels import MatrixPanel
from explorer.ui.widgets.colormaps import symmetric_levels
from explorer.ui.widgets.plot_utils import index_ticks

__all__ = ["draw_bias", "draw_matrix", "named_ticks"]


def named_ticks(names: list[str] | None, count: int, **kwargs: object) -> list[tuple[float, str]]:
    """Index ticks for ``count`` cells, or the channels' ``names`` when there is one for
    each (``step``, ``offset`` and ``max_labels`` as :func:`index_ticks` takes them)."""
    if names is not None and len(names) == count:
        step, offset = kwargs.get("step", 1.0), kwargs.get("offset", 0.5)
        return [(i * step + offset, name) for i, name in enumerate(names)]  # type: ignore[operator]
    return index_ticks(count, **kwargs)  # type: ignore[arg-type]


def draw_matrix(
    panel: MatrixPanel,
    matrix: np.ndarray,
    key: str,
    names: tuple[list[str] | None, list[str] | None],
) -> None:
    """Draw the ``C_out × C_in`` ``matrix`` of weight ``key``; ``names`` are the input and
    output channels' names (or ``None``)."""
    c_out, c_in = matrix.shape
    data = np.ascontiguousarray(matrix)

    def describe(r: int, c: int) -> str:
        return f"{key}: W[c={r}, c'={c}] = {data[r, c]:.4g}"

    panel.set_data(
        data,
        symmetric_levels(data),
        title=f"W[c, c'] ({c_out}×{c_in})",
        x_label="input channel c'",
        y_label="output channel c",
        x_ticks=named_ticks(names[0], c_in),
        y_ticks=named_ticks(names[1], c_out),
        describe=describe,
        square=False,
    )


def draw_bias(panel: MatrixPanel, bias: np.ndarray, key: str, beside: MatrixPanel | None) -> None:
    """Draw ``bias`` as a one-column strip; ``beside``: the matrix panel whose rows it
    shares (its axis then labels them), or ``None`` for a strip of its own."""
    data = np.ascontiguousarray(np.asarray(bias, np.float32).reshape(-1, 1))
    panel.set_data(
        data,
        symmetric_levels(data),
        title="bias",
        x_label="b[c]",
        y_label="output channel c" if beside is not None else "channel c",
        x_ticks=[],
        y_ticks=index_ticks(data.shape[0], max_labels=16),
        describe=lambda r, c: f"{key}: b[{r}] = {data[r, 0]:.4g}",
        square=False,
    )
    # rows line up with the matrix beside it, whose axis labels them (linked once: each
    # re-link re-ranges both plots)
    link = beside.plot.vb if beside is not None else None
    if panel.plot.vb.linkedView(1) is not link:
        panel.plot.setYLink(link)
    panel.plot.showAxis("left", beside is None)
    panel.setFixedWidth(panel.minimumSizeHint().width())
