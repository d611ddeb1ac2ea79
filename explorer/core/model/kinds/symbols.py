"""The symbolic form of a convolution's counts, declared by a kind for the live formulas.

A kind that wants its parameters and MACs written with symbols (``C_out·C_in/g·k_h·k_w``)
returns one :class:`ConvSymbols` per convolution from
:meth:`~explorer.core.model.kinds.base.LayerSpec.formula_terms`;
:mod:`explorer.core.analysis.formulas` assembles the lines from them (adding the bias and
BatchNorm terms, and ``H_out·W_out·(…)`` for the MACs). A kind that declares none gets
formulas built from its parts' counts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConvSymbols"]


@dataclass(frozen=True)
class ConvSymbols:
    """One convolution's weights, as symbols, as the layer's numbers, and as a value.

    Attributes
    ----------
    symbols, numbers, weights
        The weight count: ``"C_out·C_in"``, ``"128·64"``, ``8192``. It is also the MACs of
        one output position (every output position reads every weight once).
    out_symbols, out_numbers, outs
        The output channels (one bias, and one γ and β of a BatchNorm, each):
        ``"C_out"``, ``"128"``, ``128``.
    """

    symbols: str
    numbers: str
    weights: int
    out_symbols: str
    out_numbers: str
    outs: int
