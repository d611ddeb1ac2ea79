"""The seed of each layer of a scene (no torch: the code generator needs it too).

:func:`layer_seed` is what :mod:`explorer.core.compute.build` seeds a layer's weights with,
and what the script of :mod:`explorer.core.compute.codegen` computes again. It lives apart
from ``build`` so that writing code never imports torch: Edit ▸ Copy as PyTorch Code on the
GUI thread must not wait for a worker's first ``import torch`` (Python's import lock).
"""

from __future__ import annotations

__all__ = ["SEED_MODULUS", "SEED_MULTIPLIER", "layer_seed"]

SEED_MULTIPLIER = 1_000_003
SEED_MODULUS = 2**63


def layer_seed(seed: int, index: int) -> int:
    """The torch seed of layer ``index`` in a scene seeded with ``seed``.

    ``(seed * 1_000_003 + index) mod 2**63`` — stable across versions, so scenes and
    generated scripts keep their weights.
    """
    return (int(seed) * SEED_MULTIPLIER + int(index)) % SEED_MODULUS
