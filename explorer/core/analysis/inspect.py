"""The pixel inspector's numbers: how one output value was computed, term by term.

For a 1×1 layer the value at ``(h, w)`` of output channel ``c`` is the dot product of the
input vector ``X[h,w,:]`` with column ``c`` of the matrix K (torch stores K transposed, as
``weight[c, c', 0, 0]``), plus the bias: ``Y[h,w,c] = Σ_c' X[h,w,c']·K[c',c] + b[c]``. For a
k×k layer it is the sum over the input window (zero padded) of the window times the kernel,
over the channels of the output's group.

Indices follow the concept notes: ``Y[h,w,c]`` (row, column, channel); arrays are torch's
``(C, H, W)``. ``value`` is the convolution's output (before BN and activation); ``output``
applies BN in eval mode with fresh running statistics (mean 0, var 1, γ 1, β 0, ε 1e-5) and
the activation, as :mod:`explorer.core.compute.build` does, so it equals the feature map shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core.errors import SpecError
from explorer.core.model.kinds.curves import PRELU_INIT, activation_curve
from explorer.core.model.kinds.parts import Pad
from explorer.core.model.specs import LayerSpec

__all__ = [
    "BN_EPS",
    "PointwiseBreakdown",
    "ReceptiveBox",
    "WindowBreakdown",
    "bn_activation",
    "format_value",
    "pointwise_breakdown",
    "receptive_field_box",
    "window_breakdown",
]

BN_EPS = 1e-5
MINUS = "\u2212"


def format_value(v: float, digits: int = 3) -> str:
    """A number for a formula: ``digits`` significant digits, a real minus sign, no
    exponent between 1e-4 and 1e6."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    if 1e-4 <= abs(v) < 1e6:
        decimals = max(digits - 1 - math.floor(math.log10(abs(v))), 0)
        text = f"{v:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{v:.{digits - 1}e}"
    return text.replace("-", MINUS)


def _factor(v: float) -> str:
    text = format_value(v)
    return f"({text})" if text.startswith(MINUS) else text


def bn_activation(value: np.ndarray | float, batch_norm: bool, activation: str) -> np.ndarray:
    """What follows the convolution in a layer: BN (eval, fresh statistics) then activation."""
    out = np.asarray(value, dtype=np.float64)
    if batch_norm:
        out = out / math.sqrt(1.0 + BN_EPS)
    if activation == "relu":
        out = np.maximum(out, 0.0)
    elif activation == "relu6":
        out = np.clip(out, 0.0, 6.0)
    elif activation != "none":  # torch's default slopes: leaky 0.01, PReLU's initial 0.25
        out = activation_curve(activation, out, PRELU_INIT if activation == "prelu" else 0.01)
    return out


def _terms(products_of: Sequence[tuple[float, float]], max_terms: int) -> tuple[str, int]:
    shown = [f"{_factor(a)}·{_factor(b)}" for a, b in products_of[:max_terms]]
    more = len(products_of) - len(shown)
    text = " + ".join(shown)
    if more > 0:
        text += f" + … ({more} more term{'s' if more > 1 else ''})"
    return text, more


def _suffix(value: float, output: float, batch_norm: bool, activation: str) -> str:
    steps = (["BN"] if batch_norm else []) + (
        [activation.upper().replace("RELU", "ReLU")] if activation != "none" else []
    )
    return f" → {' → '.join(steps)} = {format_value(output)}" if steps else ""


def _value_and_formula(
    index: tuple[int, int, int],
    factors: Sequence[tuple[float, float]],
    products: np.ndarray,
    bias: float | None,
    batch_norm: bool,
    activation: str,
    max_terms: int,
) -> tuple[float, float, str]:
    """``(value, output, formula)`` of ``Y[row, col, c]`` for ``index = (row, col, c)``.

    ``factors`` are the (input, weight) pairs written out term by term, ``products`` their
    products; ``bias`` is ``b[c]``, or ``None`` when the layer has no bias.
    """
    row, col, c = index
    value = float(products.sum() + (0.0 if bias is None else bias))
    output = float(bn_activation(value, batch_norm, activation))
    terms, _ = _terms(factors, max_terms)
    bias_text = f" + b[{c}] ({format_value(bias)})" if bias is not None else ""
    formula = f"Y[{row},{col},{c}] = {terms}{bias_text} = {format_value(value)}" + _suffix(
        value, output, batch_norm, activation
    )
    return value, output, formula


@dataclass(frozen=True)
class PointwiseBreakdown:
    """One output value of a 1×1 layer, term by term.

    Attributes
    ----------
    x
        The input vector ``X[h,w,:]``, shape (C_in,).
    matrix
        The weights as torch stores them, shape (C_out, C_in): ``matrix[c, c'] = K[c', c]``.
    out_vector
        ``matrix @ x + bias``: every output channel at this pixel, before BN/activation.
    products
        ``X[h,w,c']·K[c',c]`` for the chosen channel, shape (C_in,).
    bias
        ``b[c]`` (0 when the layer has no bias).
    value
        ``products.sum() + bias`` (= ``out_vector[c]``).
    output
        ``value`` after BN and activation: the feature-map value.
    formula
        ``"Y[12,40,3] = 0.41·0.22 + 0.87·(−0.05) + … + b[3] (0.01) = 0.134"``.
    """

    row: int
    col: int
    out_channel: int
    x: np.ndarray
    matrix: np.ndarray
    out_vector: np.ndarray
    products: np.ndarray
    bias: float
    value: float
    output: float
    formula: str


def _check_index(name: str, value: int, size: int) -> int:
    value = int(value)
    if not 0 <= value < size:
        raise SpecError(f"{name} {value} is outside 0..{size - 1}", field=name)
    return value


def pointwise_breakdown(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    row: int,
    col: int,
    out_channel: int,
    *,
    batch_norm: bool = False,
    activation: str = "none",
    max_terms: int = 6,
) -> PointwiseBreakdown:
    """How ``Y[row, col, out_channel]`` of a 1×1 (stride 1) layer comes from its input.

    Parameters
    ----------
    x
        The layer's input, (C_in, H, W). For the pointwise half of a separable layer: the
        depthwise half's output (run's ``parts["depthwise"]``).
    weight
        (C_out, C_in, 1, 1) or (C_out, C_in).
    bias
        (C_out,) or ``None``.
    max_terms
        Terms written out in the formula before "… (N more terms)".
    """
    x = np.asarray(x, dtype=np.float64)
    matrix = np.asarray(weight, dtype=np.float64).reshape(np.shape(weight)[0], -1)
    if x.ndim != 3 or matrix.shape[1] != x.shape[0]:
        raise SpecError(
            f"input has {x.shape[0] if x.ndim == 3 else '?'} channels but the "
            f"weights expect {matrix.shape[1]}",
            field="weights",
        )
    row = _check_index("row", row, x.shape[1])
    col = _check_index("col", col, x.shape[2])
    c = _check_index("out_channel", out_channel, matrix.shape[0])
    b = np.zeros(matrix.shape[0]) if bias is None else np.asarray(bias, dtype=np.float64)
    vec = x[:, row, col]
    products = vec * matrix[c]
    value, output, formula = _value_and_formula(
        (row, col, c),
        list(zip(vec, matrix[c], strict=True)),
        products,
        None if bias is None else float(b[c]),
        batch_norm,
        activation,
        max_terms,
    )
    return PointwiseBreakdown(
        row=row,
        col=col,
        out_channel=c,
        x=vec,
        matrix=matrix,
        out_vector=matrix @ vec + b,
        products=products,
        bias=float(b[c]),
        value=value,
        output=output,
        formula=formula,
    )


@dataclass(frozen=True)
class WindowBreakdown:
    """One output value of a k×k layer (standard, grouped or depthwise), term by term.

    Attributes
    ----------
    in_channels
        The input channels that feed this output (its group), shape (C_in/g,).
    window
        The input values under the kernel, zero where the window hangs over the padding,
        shape (C_in/g, k_h, k_w).
    rows, cols
        Input row / column of each tap (may be < 0 or ≥ H/W in the padding), (k_h,), (k_w,).
    kernel
        ``weight[out_channel]``, shape (C_in/g, k_h, k_w).
    products
        ``window · kernel``, same shape.
    """

    row: int
    col: int
    out_channel: int
    in_channels: np.ndarray
    window: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    bias: float
    value: float
    output: float
    formula: str


def _pair(v: int | Sequence[int]) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


def _pad_before(
    padding: int | Sequence[int] | str, kernel: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int]:
    """Padding above / left of the input; for ``"same"`` torch puts ⌊d(k−1)/2⌋ there; an
    asymmetric ``(top, bottom, left, right)`` gives ``(top, left)``."""
    if isinstance(padding, str):
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=True))  # type: ignore[return-value]
    if not isinstance(padding, int) and len(padding) == 4:
        return int(padding[0]), int(padding[2])
    return _pair(padding)


def window_breakdown(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: int | Sequence[int],
    padding: int | Sequence[int] | str,
    dilation: int | Sequence[int],
    groups: int,
    row: int,
    col: int,
    out_channel: int,
    *,
    batch_norm: bool = False,
    activation: str = "none",
    max_terms: int = 6,
) -> WindowBreakdown:
    """How ``Y[row, col, out_channel]`` of a k×k conv comes from its input window.

    ``weight`` is torch's (C_out, C_in/groups, k_h, k_w); a depthwise layer has
    ``groups = C_in``. Arguments as ``torch.nn.functional.conv2d``; ``padding`` may also be
    ``(top, bottom, left, right)`` (a zero pad before the conv, TensorFlow's 'SAME').
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    c_in, h, wd = x.shape
    c_out, c_in_g, kh, kw = w.shape
    if c_in_g * groups != c_in or c_out % groups:
        raise SpecError(
            f"weights {list(w.shape)} with groups={groups} do not fit an input of {c_in} channels",
            field="weights",
        )
    s, d = _pair(stride), _pair(dilation)
    p = _pad_before(padding, (kh, kw), d)
    c = _check_index("out_channel", out_channel, c_out)
    group = c // (c_out // groups)
    channels = np.arange(group * c_in_g, (group + 1) * c_in_g)
    if isinstance(padding, str):
        pad_total = [d[a] * ((kh, kw)[a] - 1) for a in range(2)]
    elif not isinstance(padding, int) and len(padding) == 4:  # (top, bottom, left, right)
        pad_total = [padding[0] + padding[1], padding[2] + padding[3]]
    else:
        pad_total = [2 * p[a] for a in range(2)]
    out_h = (h + pad_total[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    out_w = (wd + pad_total[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    row = _check_index("row", row, out_h)
    col = _check_index("col", col, out_w)
    rows = row * s[0] - p[0] + d[0] * np.arange(kh)
    cols = col * s[1] - p[1] + d[1] * np.arange(kw)
    window = np.zeros((c_in_g, kh, kw))
    r_ok = (rows >= 0) & (rows < h)
    c_ok = (cols >= 0) & (cols < wd)
    inner = x[np.ix_(channels, rows[r_ok], cols[c_ok])]
    window[np.ix_(np.arange(c_in_g), np.flatnonzero(r_ok), np.flatnonzero(c_ok))] = inner
    kernel = w[c]
    products = window * kernel
    b = 0.0 if bias is None else float(np.asarray(bias)[c])
    value, output, formula = _value_and_formula(
        (row, col, c),
        list(zip(window.ravel(), kernel.ravel(), strict=True)),
        products,
        None if bias is None else b,
        batch_norm,
        activation,
        max_terms,
    )
    return WindowBreakdown(
        row=row,
        col=col,
        out_channel=c,
        in_channels=channels,
        window=window,
        rows=rows,
        cols=cols,
        kernel=kernel,
        products=products,
        bias=b,
        value=value,
        output=output,
        formula=formula,
    )


@dataclass(frozen=True)
class ReceptiveBox:
    """The input pixels one output pixel depends on: rows ``top .. top+height−1`` and
    columns ``left .. left+width−1`` of the input image (may reach into the padding)."""

    top: int
    left: int
    height: int
    width: int

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.top + self.height

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.left + self.width

    def clipped(self, height: int, width: int) -> ReceptiveBox:
        """The part inside an image of ``height × width`` (may be empty)."""
        top, left = max(self.top, 0), max(self.left, 0)
        return ReceptiveBox(
            top, left, max(min(self.bottom, height) - top, 0), max(min(self.right, width) - left, 0)
        )


def _geometry(
    spec: LayerSpec,
) -> list[tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """(kernel, stride, padding before, dilation) of each spatial part of a layer (its
    convolutions and pools; an asymmetric pad adds its top/left to the step after it)."""
    out = []
    pending = (0, 0)
    for part in spec.parts(1):
        if isinstance(part, Pad):
            pending = (part.pad[0], part.pad[2])
            continue
        window = part.window()
        if window is None:
            continue
        k, s, d = window
        before = _pad_before(getattr(part, "padding", (0, 0)), k, d)
        out.append((k, s, (before[0] + pending[0], before[1] + pending[1]), d))
        pending = (0, 0)
    return out


def receptive_field_box(
    layers: Sequence[LayerSpec], layer_index: int, row: int, col: int
) -> ReceptiveBox:
    """The receptive field of pixel ``(row, col)`` of layer ``layer_index``'s output, in
    pixels of the stack's input (unclipped; its size equals ``costs``' receptive_field)."""
    if not 0 <= layer_index < len(layers):
        raise SpecError(f"layer {layer_index + 1} does not exist", field="layer")
    lo = [int(row), int(col)]
    hi = [int(row), int(col)]
    for spec in reversed(layers[: layer_index + 1]):
        for k, s, p, d in reversed(_geometry(spec)):
            for a in range(2):
                lo[a] = lo[a] * s[a] - p[a]
                hi[a] = hi[a] * s[a] - p[a] + d[a] * (k[a] - 1)
    return ReceptiveBox(lo[0], lo[1], hi[0] - lo[0] + 1, hi[1] - lo[1] + 1)
