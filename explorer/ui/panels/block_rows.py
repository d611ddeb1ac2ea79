"""The rows a block shows in the layer panel when it is expanded: one per inner layer
(selectable: the editor then edits that layer inside the block, and the panel's add,
remove, duplicate and move act inside the block), one for the squeeze-excitation and one
for the skip add (they select the block itself)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from explorer.core.analysis.costs import stack_cost
from explorer.core.errors import SpecError
from explorer.core.model.kinds.base import new_uid
from explorer.core.model.kinds.block import se_squeeze_channels
from explorer.core.model.specs import LayerSpec, default_spec

__all__ = ["BlockRow", "block_rows", "block_summary", "inner_edit"]

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
    extras = "".join(
        t
        for t, on in (
            (" + SE", getattr(spec, "se", False)),
            (" + skip", getattr(spec, "skip", False)),
        )
        if on
    )
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
        rows.append(
            BlockRow(
                f"      {summary(j, layer)}", shapes[j], f"inside the block: {type(layer).tip}", j
            )
        )
        if getattr(spec, "se", False) and j + 1 == getattr(spec, "se_after", 0):
            c = shapes[j][0] if shapes[j] is not None else None
            squeeze = f"{c} → {se_squeeze_channels(spec, c)} → {c}" if c else "C → C/4 → C"
            rows.append(
                BlockRow(
                    f"      SE {squeeze}, {getattr(spec, 'se_gate', '')} gate",
                    shapes[j],
                    "squeeze-and-excitation: global average pool, "
                    "1×1 reduce, activation, 1×1 expand, gate, multiply",
                    -1,
                )
            )
    if getattr(spec, "skip", False):
        pool, pad = getattr(spec, "skip_pool", 1), getattr(spec, "skip_pad", False)
        how = "".join(
            (f", max pool {pool}×{pool}" if pool > 1 else "", ", + zero channels" if pad else "")
        )
        skipped = shapes[-1] if (pool > 1 or pad) else in_shape  # what is added: the output's
        rows.append(
            BlockRow(
                f"      + skip: input{how}",
                skipped,
                "skip: input (max-pooled by 'Skip max pool', padded with zero "
                "channels by 'Skip zero channels') + output, shapes must match, "
                "before the block's activation",
                -1,
            )
        )
    return rows


def inner_edit(document: Any, action: str, kind: str | None = None, step: int = 0) -> bool:
    """Apply a layer-panel action to the selected layer *inside* a block, as one undo step.

    ``action`` is ``"add"`` (a default ``kind`` after it), ``"remove"``, ``"duplicate"`` or
    ``"move"`` (``step`` places). ``se_after`` follows the layer it gated. Returns whether
    an inner layer was selected (the action was for it, even when refused: a block keeps at
    least one layer, and moves stay inside it).
    """
    i, j = document.selected, document.inner_selected
    if i < 0 or j < 0:
        return False
    block = document.layers[i]
    inner = list(block.layers)
    gated = block.se_after - 1  # 0-based index of the gated layer
    if action == "add":
        inner.insert(j + 1, default_spec(kind or "pointwise"))
        sel, gated = j + 1, gated + (j + 1 <= gated)
        label = f"add {kind} inside block {i + 1}"
    elif action == "duplicate":
        inner.insert(j + 1, inner[j].with_changes(uid=new_uid()))
        sel, gated = j + 1, gated + (j + 1 <= gated)
        label = f"duplicate inner layer {i + 1}.{j + 1}"
    elif action == "remove":
        if len(inner) == 1:
            return True
        del inner[j]
        sel, gated = min(j, len(inner) - 1), gated - (j < gated)
        label = f"remove inner layer {i + 1}.{j + 1}"
    else:
        sel = j + step
        if not 0 <= sel < len(inner):
            return True
        inner[j], inner[sel] = inner[sel], inner[j]
        gated = sel if gated == j else j if gated == sel else gated
        label = f"move inner layer {i + 1}.{j + 1}"
    new = block.with_changes(layers=tuple(inner), se_after=max(1, min(gated + 1, len(inner))))
    layers = document.layers[:i] + (new,) + document.layers[i + 1 :]
    document.set_scene(replace(document.scene, layers=layers), label)
    document.select_inner(i, sel)
    return True
