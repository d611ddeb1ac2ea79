"""A scene as a standalone PyTorch script.

:func:`scene_code` writes a script that imports only torch, defines ``ConvStack`` with the
same layers and the same seeded weights as the app (see
:func:`explorer.core.build.layer_seed`), runs it on a seeded random input and prints the
output shape and the parameter count. Each layer is commented with its cost formulas and
the numbers for the scene's input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .build import _SEED_MODULUS, _SEED_MULTIPLIER
from .costs import LayerCost, PartCost, stack_cost
from .scene import Scene
from .specs import (
    CheckpointTensor,
    DepthwiseSpec,
    InlineTensor,
    LayerSpec,
    PointwiseSpec,
    SeparableSpec,
    StandardSpec,
)
from .text import shape_text

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


def _tuple(pair: tuple[int, int]) -> str:
    return f"({pair[0]}, {pair[1]})"


def _conv_call(c_in: int, c_out: int, kernel: tuple[int, int], spec: LayerSpec, *,
               stride=(1, 1), padding: object = (0, 0), dilation=(1, 1), groups: int = 1) -> str:
    args = [str(c_in), str(c_out), f"kernel_size={_tuple(kernel)}"]
    if tuple(stride) != (1, 1):
        args.append(f"stride={_tuple(stride)}")
    if padding == "same":
        args.append('padding="same"')
    elif tuple(padding) != (0, 0):  # type: ignore[arg-type]
        args.append(f"padding={_tuple(padding)}")  # type: ignore[arg-type]
    if tuple(dilation) != (1, 1):
        args.append(f"dilation={_tuple(dilation)}")
    if groups != 1:
        args.append(f"groups={groups}")
    if not spec.bias:
        args.append("bias=False")
    return f"nn.Conv2d({', '.join(args)})"


def _children(spec: LayerSpec, c_in: int) -> list[tuple[str, str]]:
    """``(name, constructor)`` in the order :mod:`explorer.core.build` constructs them."""
    if isinstance(spec, StandardSpec):
        convs = [("conv", spec.out_channels, _conv_call(
            c_in, spec.out_channels, spec.kernel_size, spec, stride=spec.stride,
            padding=spec.padding, dilation=spec.dilation, groups=spec.groups))]
    elif isinstance(spec, PointwiseSpec):
        convs = [("conv", spec.out_channels, _conv_call(
            c_in, spec.out_channels, (1, 1), spec, stride=spec.stride))]
    elif isinstance(spec, (DepthwiseSpec, SeparableSpec)):
        mid = c_in * spec.multiplier
        dw = _conv_call(c_in, mid, spec.kernel_size, spec, stride=spec.stride,
                        padding=spec.padding, dilation=spec.dilation, groups=c_in)
        if isinstance(spec, DepthwiseSpec):
            convs = [("conv", mid, dw)]
        else:
            convs = [("depthwise", mid, dw),
                     ("pointwise", spec.out_channels, _conv_call(mid, spec.out_channels,
                                                                 (1, 1), spec))]
    else:
        raise TypeError(f"unknown layer type {type(spec).__name__}")
    act = {"relu": "nn.ReLU()", "relu6": "nn.ReLU6()"}.get(spec.activation)
    out = []
    for name, channels, call in convs:
        prefix = "" if name == "conv" else f"{name}_"
        out.append((name, call))
        if spec.batch_norm:
            out.append((f"{prefix}bn", f"nn.BatchNorm2d({channels})"))
        if act:
            out.append((f"{prefix}act", act))
    return out


def _child_lines(name: str, call: str, indent: str, width: int = 100) -> list[str]:
    """``("name", nn.Conv2d(...)),`` on one line, or wrapped when it is too long."""
    line = f'{indent}("{name}", {call}),'
    if len(line) <= width or "(" not in call:
        return [line]
    func, _, rest = call.partition("(")
    args = rest[:-1].split(", ")
    lines, current = [], indent + "    "
    for arg in args:
        if len(current) + len(arg) + 2 > width and current.strip():
            lines.append(current.rstrip())
            current = indent + "    "
        current += arg + ", "
    lines.append(current.rstrip())
    return [f'{indent}("{name}", {func}(', *lines, f"{indent})),"]


def _part_formula(part: PartCost, spec: LayerSpec) -> list[str]:
    co, ci_g, kh, kw = part.weight_shape
    _, ho, wo = part.output_shape
    params = f"{co}·{ci_g}·{kh}·{kw}"
    if spec.bias:
        params += f" + {co} (bias)"
    if spec.batch_norm:
        params += f" + 2·{co} (BN γ, β)"
    return [
        f"{part.name}: params = {params} = {part.params:,}",
        f"{part.name}: MACs = H_out·W_out·C_out·(C_in/groups)·kh·kw"
        f" = {ho}·{wo}·{co}·{ci_g}·{kh}·{kw} = {part.macs:,}",
    ]


def _describe(spec: LayerSpec, cost: LayerCost) -> list[str]:
    c_in, c_out = cost.input_shape[0], cost.output_shape[0]
    k = getattr(spec, "kernel_size", (1, 1))
    what = {
        "standard": f"standard {k[0]}×{k[1]} conv, {c_in} → {c_out} channels\n"
                    "sums over a neighbourhood and over all input channels",
        "pointwise": f"pointwise 1×1 conv, {c_in} → {c_out} channels\n"
                     "Y[h,w,c] = Σ_c' X[h,w,c']·K[c',c] + b[c]: one matrix at every pixel",
        "depthwise": f"depthwise {k[0]}×{k[1]} conv, groups = C_in = {c_in}\n"
                     "one filter per channel: channels never mix",
        "separable": f"depthwise-separable, {c_in} → {c_out} channels (MobileNet block)\n"
                     f"depthwise {k[0]}×{k[1]} filters each channel, then pointwise 1×1 mixes",
    }[spec.kind]
    post = [n for n, on in (("BatchNorm", spec.batch_norm), (spec.activation, spec.activation
                                                                 != "none")) if on]
    lines = [f"Layer {cost.index + 1}: {what}"]
    if post:
        lines.append("after each conv: " + " → ".join(post))
    lines.append(f"output {cost.output_shape[0]}×{cost.output_shape[1]}×{cost.output_shape[2]}")
    for part in cost.parts:
        lines += _part_formula(part, spec)
    if isinstance(spec, SeparableSpec):
        m = spec.multiplier
        ratio = m * (1 / spec.out_channels + 1 / (k[0] * k[1]))
        lines.append(
            f"vs a standard {k[0]}×{k[1]} conv: MACs ratio = "
            f"{'' if m == 1 else f'{m}·'}(1/C_out + 1/k²) = "
            f"{'' if m == 1 else f'{m}·'}(1/{spec.out_channels} + 1/{k[0] * k[1]}) = {ratio:.3f}"
        )
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


def _weight_lines(spec: LayerSpec, indent: str) -> list[str]:
    if not spec.weights:
        return []
    lines = [f"{indent}with torch.no_grad():  # weights set in the scene"]
    for target, source in spec.weights:
        if isinstance(spec, SeparableSpec):
            attr = target
        else:
            attr = f"conv.{target}"
        if isinstance(source, InlineTensor):
            n = math.prod(source.shape)
            if n > INLINE_LIMIT:
                lines.append(f"{indent}    # {n:,} values written inline: long, but exact")
            lines.append(f"{indent}    layer.{attr}.copy_(")
            lines += _tensor_literal(source, indent + "        ")
            lines.append(f"{indent}    )")
        elif isinstance(source, CheckpointTensor):
            lines += [
                f"{indent}    layer.{attr}.copy_(load_tensor(",
                f"{indent}        {source.checkpoint!r},",
                f"{indent}        {source.key!r},",
                f"{indent}    ))",
            ]
    return lines


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
        "# " + (scene.title.strip().splitlines()[0] if scene.title.strip() else
                "A Conv Explorer scene"),
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
        f"    return (seed * {_SEED_MULTIPLIER:_} + index) % {_SEED_MODULUS}",
    ]
    if any(isinstance(src, CheckpointTensor) for spec in scene.layers for _, src in spec.weights):
        out += _LOADER.splitlines()
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
        out.append("        layer = nn.Sequential(OrderedDict([")
        for name, call in _children(spec, c_in):
            out += _child_lines(name, call, "            ")
        out.append("        ]))")
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
