"""A scene as a standalone PyTorch script.

:func:`scene_code` writes a script that imports only torch, defines ``ConvStack`` with the
same layers and the same seeded weights as the app (see
:func:`explorer.core.compute.build.layer_seed`), runs it on a seeded random input and prints the
output shape and the parameter count. Each layer is commented with its cost formulas and
the numbers for the scene's input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from explorer.core.analysis.costs import LayerCost, PartCost, stack_cost
from explorer.core.compute.seeds import SEED_MODULUS, SEED_MULTIPLIER
from explorer.core.io.scene import Scene
from explorer.core.model.specs import CheckpointTensor, InlineTensor, LayerSpec, ModelTensor
from explorer.core.text import shape_text

__all__ = ["INLINE_LIMIT", "scene_code"]

#: Inline weights with more values than this are still written out, with a warning comment.
INLINE_LIMIT = 4096

_LOADER = '''

def load_tensor(path, key):
    """One tensor of a checkpoint, read as Conv Explorer does: weights only, never code."""
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, torch.Tensor):
        obj = {"tensor": obj}
    for name in ("state_dict", "model"):
        if isinstance(obj.get(name), dict):
            obj = obj[name]
            break
    return obj[key].float()
'''


def _comment(text: str, prefix: str = "# ") -> list[str]:
    return [(prefix + line).rstrip() for line in text.splitlines() if line.strip()]


def _part_formula(part: PartCost, spec: LayerSpec) -> list[str]:
    co, ci_g, kh, kw = part.weight_shape
    _, ho, wo = part.output_shape
    params = f"{co}·{ci_g}·{kh}·{kw}"
    bias = co if part.bias_adds else 0
    extra = part.params - co * ci_g * kh * kw - bias
    if bias:
        params += f" + {co} (bias)"
    if extra == 2 * co:
        params += f" + 2·{co} (BN γ, β)"
    elif extra:
        params += f" + {extra} (BN γ, β and PReLU slopes)"
    return [
        f"{part.name}: params = {params} = {part.params:,}",
        f"{part.name}: MACs = H_out·W_out·C_out·(C_in/groups)·kh·kw"
        f" = {ho}·{wo}·{co}·{ci_g}·{kh}·{kw} = {part.macs:,}",
    ]


def _describe(spec: LayerSpec, cost: LayerCost) -> list[str]:
    c_in, c_out = cost.input_shape[0], cost.output_shape[0]
    what = spec.describe(c_in, c_out)
    post = [
        n
        for n, on in (("BatchNorm", spec.batch_norm), (spec.activation, spec.activation != "none"))
        if on
    ]
    lines = [f"Layer {cost.index + 1}: {what}"]
    if post and cost.parts and not hasattr(spec, "layers"):
        lines.append("after each conv: " + " → ".join(post))
    lines.append(f"output {cost.output_shape[0]}×{cost.output_shape[1]}×{cost.output_shape[2]}")
    for part in cost.parts:
        lines += _part_formula(part, spec)
    if cost.elementwise:
        lines.append(
            f"element-wise work (pool reads, skip add, SE multiply; not MACs): {cost.elementwise:,}"
        )
    lines += spec.code_notes()
    return lines


def _tensor_literal(source: InlineTensor, indent: str) -> list[str]:
    values = [repr(float(v)) for v in source.values]
    lines, line = [], ""
    for v in values:
        piece = v + ", "
        if len(line) + len(piece) > 88 - len(indent) - 4:
            lines.append(line.rstrip())
            line = ""
        line += piece
    if line:
        lines.append(line.rstrip())
    shape = ", ".join(str(int(s)) for s in source.shape) if source.shape else "()"
    out = [f"{indent}torch.tensor(["]
    out += [f"{indent}    {chunk}" for chunk in lines]
    out.append(f"{indent}]).reshape({shape}),")
    return out


def _model_inline(source: ModelTensor) -> InlineTensor:
    """A weight read from a model file, written out as its values (the script stays
    standalone: it needs neither the model nor this app)."""
    from explorer.core.io.importers import model_tensor

    array = model_tensor(source.model, source.output, source.target)
    return InlineTensor(tuple(array.shape), tuple(float(v) for v in array.reshape(-1)))


def _weight_lines(spec: LayerSpec, indent: str, owner: str = "layer") -> list[str]:
    inner = [
        _weight_lines(layer, indent, f"{owner}.body[{i}]")
        for i, layer in enumerate(getattr(spec, "layers", ()))
    ]
    inner_lines = [line for lines in inner for line in lines]
    if not spec.weights:
        return inner_lines
    lines = [f"{indent}with torch.no_grad():  # weights set in the scene"]
    for target, source in spec.weights:
        attr = f"{owner}.{type(spec).weight_paths.get(target, target)}"
        if isinstance(source, ModelTensor):
            lines.append(
                f"{indent}    # from {Path(source.model).name}, layer output {source.output!r}"
            )
            source = _model_inline(source)
        if isinstance(source, InlineTensor):
            n = math.prod(source.shape)
            if n > INLINE_LIMIT:
                lines.append(f"{indent}    # {n:,} values written inline: long, but exact")
            lines.append(f"{indent}    {attr}.copy_(")
            lines += _tensor_literal(source, indent + "        ")
            lines.append(f"{indent}    )")
        elif isinstance(source, CheckpointTensor):
            lines += [
                f"{indent}    {attr}.copy_(load_tensor(",
                f"{indent}        {source.checkpoint!r},",
                f"{indent}        {source.key!r},",
                f"{indent}    ))",
            ]
    return inner_lines + lines


def scene_code(scene: Scene, input_shape: Sequence[int]) -> str:
    """A standalone PyTorch script that rebuilds ``scene`` and runs it once.

    Parameters
    ----------
    scene
        The scene; its layers must be valid on ``input_shape``.
    input_shape
        ``(C, H, W)`` of the input (the image's shape); the script feeds a seeded
        ``torch.randn(1, C, H, W)``.

    Raises
    ------
    SpecError
        If the stack cannot run on ``input_shape`` (naming the layer and field).
    """
    cost = stack_cost(input_shape, scene.layers)
    c, h, w = cost.input_shape
    seed = int(scene.seed)
    out = [
        "# "
        + (scene.title.strip().splitlines()[0] if scene.title.strip() else "A Conv Explorer scene"),
    ]
    out += _comment(scene.caption)
    out += [
        "#",
        "# Written by Conv Explorer. Needs only PyTorch; run it with `python THIS_FILE.py`.",
        "# The weights are the app's: each layer is constructed right after",
        "# torch.manual_seed(layer_seed(SEED, index)) with torch's default initialisation.",
        "# Counting: MACs are multiply-accumulates of the convolutions, bias excluded;",
        "# FLOPs = 2 × MACs (torch FlopCounterMode).",
        '"""Conv Explorer scene as a PyTorch module: ConvStack."""',
        "",
        *(["from collections import OrderedDict", ""] if scene.layers else []),
        "import torch",
        "from torch import nn",
        "",
        f"SEED = {seed}",
        "",
        "",
        "def layer_seed(seed, index):",
        '    """The torch seed of layer `index`, as Conv Explorer derives it."""',
        f"    return (seed * {SEED_MULTIPLIER:_} + index) % {SEED_MODULUS}",
    ]
    if any(isinstance(src, CheckpointTensor) for spec in scene.layers for _, src in spec.weights):
        out += _LOADER.splitlines()
    for helpers in dict.fromkeys(type(spec).code_helpers for spec in scene.layers):
        out += helpers.splitlines()
    out += [
        "",
        "",
        "class ConvStack(nn.Module):",
        f'    """{len(scene.layers)} layer(s): input {c}×{h}×{w} → output '
        f'{shape_text(cost.output_shape)}."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        "        layers = []",
    ]
    c_in = c
    for index, (spec, layer) in enumerate(zip(scene.layers, cost.layers, strict=True)):
        out.append("")
        out += _comment("\n".join(_describe(spec, layer)), "        # ")
        out.append(f"        torch.manual_seed(layer_seed(SEED, {index}))")
        lines = spec.code_lines(c_in, "        ")
        lines[0] = "        layer = " + lines[0].lstrip()
        out += lines
        out += _weight_lines(spec, "        ")
        out.append("        layers.append(layer)")
        c_in = layer.output_shape[0]
    out += [
        "        self.layers = nn.Sequential(*layers)",
        "",
        "    def forward(self, x):",
        "        return self.layers(x)",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = ConvStack().eval()  # eval: BatchNorm uses its running statistics",
        "    torch.manual_seed(SEED)",
        f"    x = torch.randn(1, {c}, {h}, {w})",
        "    with torch.no_grad():",
        "        y = model(x)",
        f"    print(y.shape)  # torch.Size([1, {', '.join(map(str, cost.output_shape))}])",
        f"    print(sum(p.numel() for p in model.parameters()))  # {cost.params}",
        f"    # MACs: {cost.macs:,}; FLOPs: {cost.flops:,}",
        "",
    ]
    return "\n".join(out)
