"""What to draw of a layer's weights, read from its declared parts, not from its kind.

The weight view draws what a convolution part *is*: a mosaic of one ``k×k`` kernel per
channel (a part with ``per_channel``), a ``C_out × C_in`` matrix (a part with ``matrix``, or
any 1×1 convolution), or a grid of ``k×k`` kernels (every other convolution). A new layer
kind is drawn without editing the view: it only declares its parts and ``weight_paths``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from explorer.core.model.kinds import REGISTRY
from explorer.core.model.kinds.base import LayerSpec

__all__ = ["WeightPart", "weight_parts", "weights_title"]

#: how a convolution's weights are drawn
MOSAIC, MATRIX, KERNELS = "mosaic", "matrix", "kernels"


@dataclass(frozen=True)
class WeightPart:
    """One convolution of a layer, as the weight view draws it.

    Attributes
    ----------
    weight, bias
        Keys in :func:`explorer.core.compute.build.layer_weights` (``bias`` ``None`` when the
        kind declares no bias for this convolution).
    drawn_as
        ``"mosaic"`` (one kernel per channel), ``"matrix"`` (``C_out × C_in``) or
        ``"kernels"`` (output × input grid of ``k×k`` kernels).
    name
        The part's name (``"conv"``, ``"depthwise"``, ``"pointwise"`` …).
    declared_matrix
        The kind declares this part a per-pixel matrix (a pointwise layer), rather than a
        convolution that merely has a 1×1 kernel.
    in_channels
        Channels going into this convolution (``None``: unknown).
    """

    weight: str
    bias: str | None
    drawn_as: str
    name: str
    declared_matrix: bool
    in_channels: int | None


def _spec_of(layer: str | LayerSpec) -> LayerSpec | None:
    if isinstance(layer, LayerSpec):
        return layer
    cls = REGISTRY.get(layer)
    if cls is None:
        raise ValueError(f"unknown layer kind {layer!r}; expected one of {', '.join(REGISTRY)}")
    if not cls.weight_paths:
        return None
    try:
        return cls()  # the parts' roles do not depend on the field values
    except Exception:  # a kind whose fields have no defaults: nothing generic to read
        return None


def weight_parts(
    layer: str | LayerSpec,
    weights: Mapping[str, np.ndarray],
    in_channels: int | None = None,
) -> tuple[WeightPart, ...]:
    """The convolutions of ``layer`` (a spec, or a kind name) to draw, in order.

    Empty for a kind without convolution weights of its own (pools, activations, blocks).
    Raises ``ValueError`` for an unknown kind or when a declared weight is missing from
    ``weights``.
    """
    spec = _spec_of(layer)
    if spec is None:
        return ()
    paths = type(spec).weight_paths
    first = next((k for k in paths if k in weights and np.ndim(weights[k]) == 4), None)
    guess = in_channels
    if guess is None and first is not None:
        guess = int(np.shape(weights[first])[1])
    try:
        convs = spec.conv_targets(int(guess or 1))
    except Exception:  # the parts refused the guessed channels: the roles from the defaults
        try:
            convs = type(spec)().conv_targets(1)
        except Exception:
            convs = {}
    out: list[WeightPart] = []
    channels = in_channels
    for target, conv in convs.items():
        if target not in weights:
            raise ValueError(f"{spec.kind} layer weights have no {target!r}; got {sorted(weights)}")
        w = np.shape(weights[target])
        owner = paths[target].rpartition(".")[0]
        bias = next((t for t, p in paths.items() if p == f"{owner}.bias"), None)
        if conv.per_channel:
            drawn = MOSAIC
        elif conv.matrix or tuple(w[2:]) == (1, 1):
            drawn = MATRIX
        else:
            drawn = KERNELS
        out.append(WeightPart(target, bias, drawn, conv.name, bool(conv.matrix), channels))
        channels = int(w[0])
    return tuple(out)


def _size(w: np.ndarray) -> str:
    return f"{w.shape[2]}×{w.shape[3]}"


def weights_title(parts: tuple[WeightPart, ...], weights: Mapping[str, np.ndarray]) -> str:
    """The heading over a layer's weights: what its convolutions compute."""
    if len(parts) == 1:
        p = parts[0]
        w = np.asarray(weights[p.weight])
        if p.drawn_as == MOSAIC:
            return f"Depthwise {_size(w)}: one kernel per channel; channels never mix"
        if p.drawn_as == MATRIX:
            c_out, c_in = w.shape[:2]
            return (
                f"{'Pointwise' if p.declared_matrix else 'Standard'} 1×1: "
                f"y[c] = Σ_c' W[c, c'] · x[c'] + b[c] — one {c_out}×{c_in} matrix "
                "product at every pixel"
            )
        k = _size(w)
        return f"Standard {k}: each output channel c sums a {k} kernel over every input channel c'"
    pieces = []
    for p in parts:
        w = np.asarray(weights[p.weight])
        if p.drawn_as == MOSAIC:
            pieces.append(f"depthwise {_size(w)} (spatial, each channel alone)")
        elif p.drawn_as == MATRIX:
            pieces.append("pointwise 1×1 (mixes channels)")
        else:
            pieces.append(f"{p.name} {_size(w)} (spatial and across channels)")
    head = (
        "Depthwise-separable"
        if [p.drawn_as for p in parts] == [MOSAIC, MATRIX]
        else " + ".join(p.name for p in parts)
    )
    return f"{head}: " + " → ".join(pieces)
