"""Live formulas with the numbers filled in, for the layer editor and the cost view.

Each formula is one line: the symbols, then the same expression with the layer's numbers,
then the result, e.g.
``params = C_out·C_in + C_out = 128·64 + 128 = 8,320``. The results are computed here from
the formula's own numbers and agree with :mod:`explorer.core.analysis.costs` (tested). Counting
conventions are those of ``costs``: MACs exclude the bias, FLOPs = 2·MACs, params include the
BatchNorm γ and β.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from explorer.core.analysis.costs import LayerCost, layer_cost
from explorer.core.model.kinds.parts import Conv
from explorer.core.model.kinds.symbols import ConvSymbols
from explorer.core.model.specs import LayerSpec
from explorer.core.text import separable_ratio_text, times_fewer

__all__ = [
    "LayerFormulas",
    "layer_formulas",
    "output_size_formula",
    "ratio_formula",
    "receptive_field_formula",
    "stack_formulas",
]

MINUS = "\u2212"
RF = tuple[tuple[int, int], tuple[int, int]]


def _n(v: int) -> str:
    return f"{v:,}"


def output_size_formula(
    size: int, kernel: int, stride: int, padding: int | str, dilation: int, axis: str = "H"
) -> str:
    """``H_out = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊(64 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 64``.

    With ``padding="same"`` (stride 1): ``H_out = H = 64 (padding 'same': 1 before, 1 after)``;
    torch puts ⌊d(k−1)/2⌋ before and the rest after.
    """
    if padding == "same":
        total = dilation * (kernel - 1)
        before = total // 2
        return (
            f"{axis}_out = {axis} = {_n(size)} "
            f"(padding 'same': {before} before, {total - before} after)"
        )
    p = int(padding)
    out = (size + 2 * p - dilation * (kernel - 1) - 1) // stride + 1
    return (
        f"{axis}_out = ⌊({axis} + 2p {MINUS} d(k{MINUS}1) {MINUS} 1)/s⌋ + 1 = "
        f"⌊({size} + 2·{p} {MINUS} {dilation}·({kernel}{MINUS}1) {MINUS} 1)/{stride}⌋ + 1"
        f" = {_n(out)}"
    )


def receptive_field_formula(
    rf_prev: int, kernel: int, dilation: int, jump: int, axis: str = "H"
) -> str:
    """``RF = RF_prev + d(k−1)·jump = 3 + 1·(3−1)·1 = 5`` along one axis; ``jump`` is the
    distance in input pixels between neighbouring positions of the layer's input."""
    rf = rf_prev + dilation * (kernel - 1) * jump
    return (
        f"RF_{axis} = RF_prev + d(k{MINUS}1)·jump = "
        f"{rf_prev} + {dilation}·({kernel}{MINUS}1)·{jump} = {_n(rf)}"
    )


def ratio_formula(out_channels: int, kernel_size: tuple[int, int], multiplier: int = 1) -> str:
    """``separable/standard = 1/C_out + 1/k² = 1/128 + 1/9 = 0.119 (8.4× fewer MACs)``."""
    kk = kernel_size[0] * kernel_size[1]
    ratio = multiplier * (1 / out_channels + 1 / kk)
    text = separable_ratio_text(out_channels, kernel_size, multiplier)
    return f"separable/standard = {text} ({times_fewer(ratio)} MACs)"


@dataclass(frozen=True)
class LayerFormulas:
    """The formulas of one layer.

    Attributes
    ----------
    output_size
        ``(H formula, W formula)``, for the k×k (or depthwise) part.
    receptive_field
        ``(H formula, W formula)``.
    params, macs, flops
        One line each.
    """

    index: int
    kind: str
    output_size: tuple[str, str]
    receptive_field: tuple[str, str]
    params: str
    macs: str
    flops: str

    def lines(self) -> list[str]:
        """All formulas, one per line, in display order."""
        return [*self.output_size, *self.receptive_field, self.params, self.macs, self.flops]


def _params(spec: LayerSpec, terms: Sequence[ConvSymbols]) -> tuple[str, str, int]:
    """(symbols, numbers, value) of the parameter count: each convolution's weights, then
    its bias and BatchNorm γ, β when the layer has them."""
    sym: list[str] = []
    num: list[str] = []
    total = 0
    for t in terms:
        sym.append(t.symbols)
        num.append(t.numbers)
        total += t.weights
        if spec.bias:
            sym.append(t.out_symbols)
            num.append(t.out_numbers)
            total += t.outs
        if spec.batch_norm:
            sym.append(f"2·{t.out_symbols}")
            num.append(f"2·{t.out_numbers}")
            total += 2 * t.outs
    return " + ".join(sym), " + ".join(num), total


def _out_size(size: int, k: int, s: int, p: int | str, d: int) -> int:
    if p == "same":
        return size
    return (size + 2 * int(p) - d * (k - 1) - 1) // s + 1


def _macs(terms: Sequence[ConvSymbols], ho: int, wo: int) -> tuple[str, str, int]:
    """(symbols, numbers, value) of the MACs: every output position reads every weight."""
    sym = " + ".join(t.symbols for t in terms)
    num = " + ".join(t.numbers for t in terms)
    if len(terms) > 1:
        sym, num = f"({sym})", f"({num})"
    return f"H_out·W_out·{sym}", f"{ho}·{wo}·{num}", ho * wo * sum(t.weights for t in terms)


def _window(spec: LayerSpec, channels: int) -> Conv | None:
    """The one convolution that sets the output size and receptive field: the only one
    whose kernel, stride or padding is not 1×1/1/0 (a separable layer's depthwise part), or
    the first when none is; ``None`` when several are (the formulas come from the parts)."""
    convs = [p for p in spec.parts(channels) if isinstance(p, Conv)]
    spatial = [
        c
        for c in convs
        if (c.kernel, c.stride) != ((1, 1), (1, 1)) or c.padding not in ((0, 0), "same")
    ]
    if len(spatial) > 1:
        return None
    return spatial[0] if spatial else (convs[0] if convs else None)


def layer_formulas(
    spec: LayerSpec,
    in_shape: Sequence[int],
    index: int = 0,
    receptive_field_in: RF = ((1, 1), (1, 1)),
) -> LayerFormulas:
    """Every formula of one layer on an input of shape ``(C, H, W)``.

    ``receptive_field_in`` is ``(rf, jump)`` of the layer's input, as in
    :func:`explorer.core.analysis.costs.layer_cost` (use :func:`stack_formulas` for a whole stack).

    Raises
    ------
    SpecError
        When the layer cannot run on that input (the same error as ``costs``).
    """
    shape = (int(in_shape[0]), int(in_shape[1]), int(in_shape[2]))
    cost = layer_cost(spec, shape, index, receptive_field_in)  # validates, raising costs' error
    padding = getattr(spec, "padding", None)
    terms = spec.formula_terms(shape[0])
    window = _window(spec, shape[0])
    if not terms or window is None or (isinstance(padding, tuple) and len(padding) == 4):
        return _from_parts(spec, cost)
    (rf_h, rf_w), (jump_h, jump_w) = receptive_field_in
    k, s, p, d = window.kernel, window.stride, window.padding, window.dilation
    sizes = tuple(
        output_size_formula(shape[1 + a], k[a], s[a], p if p == "same" else p[a], d[a], axis)
        for a, axis in enumerate("HW")
    )
    rfs = (
        receptive_field_formula(rf_h, k[0], d[0], jump_h, "H"),
        receptive_field_formula(rf_w, k[1], d[1], jump_w, "W"),
    )
    ho, wo = (_out_size(shape[1 + a], k[a], s[a], p if p == "same" else p[a], d[a]) for a in (0, 1))
    p_sym, p_num, p_val = _params(spec, terms)
    m_sym, m_num, m_val = _macs(terms, ho, wo)
    return LayerFormulas(
        index=index,
        kind=spec.kind,
        output_size=sizes,  # type: ignore[arg-type]
        receptive_field=rfs,
        params=f"params = {p_sym} = {p_num} = {_n(p_val)}",
        macs=f"MACs = {m_sym} = {m_num} = {_n(m_val)}",
        flops=f"FLOPs = 2·MACs = 2·{_n(m_val)} = {_n(2 * m_val)}",
    )


def _from_parts(spec: LayerSpec, cost: LayerCost) -> LayerFormulas:
    """Formulas of any kind, from its parts' counts: each convolution's parameters and
    MACs, then the element-wise work (pooling, skip add, SE multiply) on its own line."""
    c_in, h, w = cost.input_shape
    _, ho, wo = cost.output_shape
    p_terms = [f"{_n(p.params)} ({p.name})" for p in cost.parts]
    other = cost.params - sum(p.params for p in cost.parts)
    if other:
        p_terms.append(f"{_n(other)} (PReLU slopes)")
    m_terms = [f"{_n(p.macs)} ({p.name})" for p in cost.parts]
    macs = f"MACs = {' + '.join(m_terms)} = {_n(cost.macs)}" if m_terms else "MACs = 0"
    if cost.elementwise:
        macs += f"; element-wise (not MACs) = {_n(cost.elementwise)}"
    return LayerFormulas(
        index=cost.index,
        kind=spec.kind,
        output_size=(f"H_out = {ho}  (from H = {h})", f"W_out = {wo}  (from W = {w})"),
        receptive_field=(f"RF_H = {cost.receptive_field[0]}", f"RF_W = {cost.receptive_field[1]}"),
        params=f"params = {' + '.join(p_terms) or '0'} = {_n(cost.params)}",
        macs=macs,
        flops=f"FLOPs = 2·MACs = 2·{_n(cost.macs)} = {_n(2 * cost.macs)}",
    )


def stack_formulas(in_shape: Sequence[int], layers: Sequence[LayerSpec]) -> list[LayerFormulas]:
    """:func:`layer_formulas` for every layer, each on the output of the one before."""
    shape = (int(in_shape[0]), int(in_shape[1]), int(in_shape[2]))
    rf: RF = ((1, 1), (1, 1))
    out = []
    for i, spec in enumerate(layers):
        out.append(layer_formulas(spec, shape, i, rf))
        cost = layer_cost(spec, shape, i, rf)
        rf = (cost.receptive_field, cost.jump)
        shape = cost.output_shape
    return out
