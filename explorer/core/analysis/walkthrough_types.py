"""The walk-through's data: the region, the geometry of a convolution, steps and walks.

:mod:`explorer.core.analysis.walkthrough` fills them in; drawing code only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.core.analysis.conv_chain import ConvStep, explained_steps
from explorer.core.errors import SpecError
from explorer.core.model.specs import LayerSpec

__all__ = [
    "DETAILS",
    "MAX_CHANNEL_STEPS",
    "MAX_POSITIONS",
    "Geometry",
    "Region",
    "Step",
    "Walk",
    "default_region",
    "output_positions",
    "geometry_of",
    "part_geometry",
    "window_taps",
    "window_values",
]

#: ``"steps"``: every step; ``"positions"``: one step per output position (its result).
DETAILS = ("steps", "positions")
#: Most output positions in one walk (a region is for teaching, not for the whole map).
MAX_POSITIONS = 1024
#: Most channel steps per position; more channels are summed a block at a time.
MAX_CHANNEL_STEPS = 12


@dataclass(frozen=True)
class Region:
    """Rows ``top .. top+height−1`` and columns ``left .. left+width−1`` of the layer's input."""

    top: int
    left: int
    height: int
    width: int


@dataclass(frozen=True)
class Geometry:
    """Kernel, stride, padding before (top, left) and dilation of one convolution part."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    dilation: tuple[int, int]
    out_size: tuple[int, int]


@dataclass(frozen=True, eq=False)
class Step:
    """One frame of the walk-through.

    Attributes
    ----------
    index, position
        The step's number and the number of its output position in :attr:`Walk.positions`.
    row, col
        The output position ``Y[row, col, :]``.
    part
        ``"conv"``, ``"depthwise"`` or ``"pointwise"`` (the convolution computing now).
    phase
        ``"window"`` (k×k window × kernel), ``"matrix"`` (vector × rows of the matrix),
        ``"bias"``, ``"bn"``, ``"activation"`` or ``"output"`` (the position's result).
    channels
        Input channels summed in this step (``"window"``); rows of the matrix (``"matrix"``).
    out_channel
        The output channel computed in this step (``"window"``), or the chosen one.
    rows, cols
        Input rows / columns of the kernel taps (padding: < 0 or ≥ the input size).
    window, padded, kernel, products
        For ``"window"``: the input values under the taps of the last channel of
        ``channels`` (0 in the padding), which taps fall in the padding, its kernel slice
        and the products, each ``(k_h, k_w)``. Empty arrays otherwise.
    vector, matrix
        For the 1×1 part: ``X[h,w,:]`` and the ``C_out×C_in`` matrix; empty otherwise.
    read_channels
        The input channels the chosen output channel reads (its group).
    running
        The chosen output channel's value so far (the sum of what has been added).
    values
        This part's output vector at the position so far (NaN where not yet computed).
    text
        The step as a formula line with its numbers.
    source
        What a ``"matrix"`` step's vector is: ``"X"`` (the layer's input) or ``"D"`` (the
        output of the layer's convolution before it, e.g. the depthwise part).
    result
        What the step's part computes: ``"Y"`` (the layer's output) or ``"D"`` (an
        intermediate output, e.g. a separable layer's depthwise part).
    per_channel
        The part has one filter per input channel (depthwise): each kernel is its own.
    """

    index: int
    position: int
    row: int
    col: int
    part: str
    phase: str
    channels: tuple[int, ...]
    out_channel: int
    rows: np.ndarray
    cols: np.ndarray
    window: np.ndarray
    padded: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    vector: np.ndarray
    matrix: np.ndarray
    read_channels: tuple[int, ...]
    running: float
    values: np.ndarray
    text: str
    source: str = "X"
    result: str = "Y"
    per_channel: bool = False


@dataclass(frozen=True, eq=False)
class Walk:
    """The precomputed walk-through of one layer on a region.

    Attributes
    ----------
    kind, out_channel, region, detail
        What was asked for.
    x
        The layer's input ``(C_in, H, W)``.
    positions
        The output positions walked, row by row.
    steps
        Every frame, in order.
    outputs
        The layer's output (after BN and activation) at each position, ``(n, C_out)``.
    out_shape
        ``(C_out, H_out, W_out)`` of the layer.
    geometry
        The k×k part's geometry (a 1×1 layer has kernel 1).
    reads_pixel
        The layer's first convolution is a 1×1 matrix: every step reads the one input pixel
        ``X[row·s, col·s, :]`` (a pointwise layer).
    """

    kind: str
    out_channel: int
    region: Region
    detail: str
    x: np.ndarray
    positions: tuple[tuple[int, int], ...]
    steps: tuple[Step, ...]
    outputs: np.ndarray
    out_shape: tuple[int, int, int]
    geometry: Geometry
    first_step: tuple[int, ...] = field(default=())
    reads_pixel: bool = False

    def __len__(self) -> int:
        return len(self.steps)

    def step_of_position(self, position: int) -> int:
        """The index of the first step of output position ``position``."""
        return self.first_step[max(0, min(position, len(self.first_step) - 1))]


def geometry_of(step: ConvStep, size: tuple[int, int]) -> Geometry:
    """The geometry of convolution ``step`` on an input of ``size`` (its zero pad included)."""
    conv = step.conv
    k, s, d = tuple(conv.kernel), tuple(conv.stride), tuple(conv.dilation)
    if step.pad is not None:  # asymmetric: (top, bottom, left, right) before a conv with 0
        top, bottom, left, right = step.pad
        pad, total = (top, left), (top + bottom, left + right)
    elif isinstance(conv.padding, str):  # "same" (stride 1): torch puts the odd cell after
        pad = tuple(d[a] * (k[a] - 1) // 2 for a in range(2))
        total = tuple(d[a] * (k[a] - 1) for a in range(2))
    else:
        pad = tuple(conv.padding)
        total = (2 * pad[0], 2 * pad[1])
    out = tuple((size[a] + total[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(2))
    if min(out) < 1:
        raise SpecError(
            f"the kernel does not fit the input {size[0]}×{size[1]}", field="kernel_size"
        )
    return Geometry(k, s, pad, d, out)  # type: ignore[arg-type]


def part_geometry(spec: LayerSpec, size: tuple[int, int], in_channels: int = 1) -> Geometry:
    """The geometry of the layer's first (or only) convolution on an input of ``size``."""
    return geometry_of(explained_steps(spec, in_channels, "walk-through")[0], size)


def default_region(spec: LayerSpec, size: tuple[int, int], side: int = 8) -> Region:
    """A ``side×side`` region in the middle of an input of ``size`` (clipped to it)."""
    h, w = min(side, size[0]), min(side, size[1])
    return Region((size[0] - h) // 2, (size[1] - w) // 2, h, w)


def output_positions(geo: Geometry, region: Region, size: tuple[int, int]) -> list[tuple[int, int]]:
    """Output positions whose window centre lies in ``region``."""
    if region.height < 1 or region.width < 1:
        raise SpecError("the region must be at least 1×1", field="region")
    if not (0 <= region.top < size[0] and 0 <= region.left < size[1]):
        raise SpecError(
            f"the region's corner ({region.top}, {region.left}) is outside the "
            f"input {size[0]}×{size[1]}",
            field="region",
        )
    axes = []
    for a, (lo, n) in enumerate(((region.top, region.height), (region.left, region.width))):
        o = np.arange(geo.out_size[a])
        centre = o * geo.stride[a] - geo.pad[a] + geo.dilation[a] * (geo.kernel[a] - 1) / 2
        axes.append(o[(centre >= lo - 0.5) & (centre < lo + n - 0.5)])
    if not (len(axes[0]) and len(axes[1])):
        raise SpecError(
            "no output position has its window centred in the region; make it bigger",
            field="region",
        )
    found = [(int(r), int(c)) for r in axes[0] for c in axes[1]]
    if len(found) > MAX_POSITIONS:
        raise SpecError(
            f"the region covers {len(found)} output positions; at most "
            f"{MAX_POSITIONS} can be walked through",
            field="region",
        )
    return found


def window_taps(geo: Geometry, row: int, col: int, size: tuple[int, int]):
    rows = row * geo.stride[0] - geo.pad[0] + geo.dilation[0] * np.arange(geo.kernel[0])
    cols = col * geo.stride[1] - geo.pad[1] + geo.dilation[1] * np.arange(geo.kernel[1])
    r_ok, c_ok = (rows >= 0) & (rows < size[0]), (cols >= 0) & (cols < size[1])
    return rows, cols, ~np.outer(r_ok, c_ok)


def window_values(
    x: np.ndarray, rows: np.ndarray, cols: np.ndarray, padded: np.ndarray
) -> np.ndarray:
    """``x[:, rows, cols]`` with zeros in the padding, ``(C, k_h, k_w)``."""
    r = np.clip(rows, 0, x.shape[1] - 1)
    c = np.clip(cols, 0, x.shape[2] - 1)
    return np.where(padded[None], 0.0, x[:, r[:, None], c[None, :]])
