"""The rows a block shows in the layer panel when it is expanded: one per inner layer
(selectable: the editor then edits that layer inside the block), one for the
squeeze-excitation and one for the skip add (they select the block itself)."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.core.costs import stack_cost
from explorer.core.errors import SpecError
from explorer.core.kinds.block import se_squeeze_channels
from explorer.core.specs import LayerSpec

__all__ = ["BlockRow", "block_rows", "block_summary"]

Shape = tuple[int, int, int]


@dataclass(frozen=True)
class BlockRow:
    """One child row: its text, output shape (or ``None``), tool tip, and the index of
    the inner layer it stands for (``-1``: the block's SE or skip)."""

    text: str
    shape: Shape | None
    tip: str
    inner: int


def block_summary(spec: LayerSpec, expanded: bool) -> str:
    """``"▾ block: 3 layers + SE + skip"`` (the arrow says whether it is expanded)."""
    inner = getattr(spec, "layers", ())
    extras = "".join(t for t, on in ((" + SE", getattr(spec, "se", False)),
                                     (" + skip", getattr(spec, "skip", False))) if on)
    return f"{'▾' if expanded else '▸'} block: {len(inner)} layers{extras}"


def block_rows(spec: LayerSpec, in_shape: Shape | None, summary) -> list[BlockRow]:
    """Child rows of block ``spec`` on input ``in_shape`` (``None``: shapes unknown);
    ``summary(j, inner_spec)`` writes an inner layer's text."""
    inner = tuple(getattr(spec, "layers", ()))
    shapes: list[Shape | None] = [None] * len(inner)
    if in_shape is not None:
        try:
            cost = stack_cost(in_shape, inner)
            shapes = [layer.output_shape for layer in cost.layers]
        except SpecError as exc:  # rows up to the bad one keep their shapes
            good = exc.layer or 0
            if good:
                cost = stack_cost(in_shape, inner[:good])
                shapes[:good] = [layer.output_shape for layer in cost.layers]
    rows = []
    for j, layer in enumerate(inner):
        rows.append(BlockRow(f"      {summary(j, layer)}", shapes[j],
                             f"inside the block: {type(layer).tip}", j))
        if getattr(spec, "se", False) and j + 1 == getattr(spec, "se_after", 0):
            c = shapes[j][0] if shapes[j] is not None else None
            squeeze = f"{c} → {se_squeeze_channels(spec, c)} → {c}" if c else "C → C/4 → C"
            rows.append(BlockRow(f"      SE {squeeze}, {getattr(spec, 'se_gate', '')} gate",
                                 shapes[j], "squeeze-and-excitation: global average pool, "
                                 "1×1 reduce, activation, 1×1 expand, gate, multiply", -1))
    if getattr(spec, "skip", False):
        rows.append(BlockRow("      + skip: the block's input is added", in_shape,
                             "identity skip: input + output (shapes must match), before the "
                             "block's activation", -1))
    return rows
