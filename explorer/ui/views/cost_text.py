"""The separable-vs-standard comparisons of the cost view, in words (moved out of
:mod:`explorer.ui.views.cost_view` to keep it small; it re-exports :func:`comparison_text`)."""

from __future__ import annotations

from collections.abc import Sequence

from explorer.core.analysis.costs import Comparison
from explorer.core.text import grouped, separable_ratio_text, times_fewer

__all__ = ["comparison_text"]


def comparison_text(comparison: Comparison, kinds: Sequence[str]) -> str:
    """One comparison in words, e.g. ``"Layer 2 (separable): 503,808 MACs vs 3,538,944 for
    the standard 3×3 conv → 7.0× fewer (ratio 0.142; formula 1/C_out + 1/k² = 1/32 + 1/9
    = 0.142)"`` and, on a second line, the same for params."""
    std = comparison.standard
    c_out = std.output_shape[0]
    kh, kw = std.parts[0].weight_shape[2:]
    base = 1 / c_out + 1 / (kh * kw)
    m = max(1, round(comparison.formula_ratio / base))
    idx = comparison.layers
    if len(idx) == 1:
        where = f"Layer {idx[0] + 1} ({kinds[idx[0]] if idx[0] < len(kinds) else 'separable'})"
    else:
        where = f"Layers {idx[0] + 1}–{idx[-1] + 1} (depthwise → pointwise)"
    conv = f"the standard {kh}×{kw} conv"
    macs = (
        f"{where}: {grouped(comparison.separable_macs)} MACs vs {grouped(std.macs)} for {conv}"
        f" → {times_fewer(comparison.macs_ratio)} (ratio {comparison.macs_ratio:.3f}; "
        f"formula {separable_ratio_text(c_out, (kh, kw), m)})"
    )
    params = (
        f"    params: {grouped(comparison.separable_params)} vs {grouped(std.params)}"
        f" → {times_fewer(comparison.params_ratio)} (ratio {comparison.params_ratio:.3f})"
    )
    return macs + "\n" + params
