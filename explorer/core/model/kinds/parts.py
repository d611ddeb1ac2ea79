"""Typed parts: what a layer is made of (convolution, batch norm, activation, pool, pad).

A layer kind describes itself as a sequence of parts (see :mod:`explorer.core.model.kinds`).
Everything downstream iterates the parts: the cost model asks each part for its output
shape and its counts, the torch builder for its module, codegen for its constructor text.
No part knows which kind it came from.

Parts are frozen and hold only plain numbers; torch is imported inside :meth:`module`, so
the cost model and the GUI can use parts without importing torch.

Counting conventions (see :mod:`explorer.core.analysis.costs`): ``macs`` count convolutions only;
pooling, skip adds and gate multiplies are ``elementwise`` work, reported separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from explorer.core.errors import SpecError

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "Activation",
    "BatchNorm",
    "Conv",
    "Pad",
    "Part",
    "PartCount",
    "Pool",
    "activation_code",
    "activation_module",
    "conv_output_size",
]

Shape = tuple[int, int, int]
Pair = tuple[int, int]

#: Activation names and the torch module each stands for.
ACTIVATION_FUNCTIONS = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()",
    "sigmoid": "nn.Sigmoid()",
    "silu": "nn.SiLU()",
    "leaky_relu": "nn.LeakyReLU({slope})",
    "prelu": "nn.PReLU({channels})",
}


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """torch's ``floor((size + 2p - d(k-1) - 1) / s) + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class PartCount:
    """What one part costs on its input.

    Attributes
    ----------
    output_shape
        ``(C, H, W)`` after the part.
    params
        Learnable parameters.
    macs
        Multiply-accumulates of a convolution (bias excluded); 0 for other parts.
    bias_adds
        Bias additions (one per output element of a convolution with bias).
    elementwise
        Element-wise operations that are not MACs: one per output element of a pool
        window read (``k_h·k_w`` per output), of a skip add, of a gate multiply.
    padded_input
        Values of the zero-padded copy of its input that a ``ZeroPad2d`` before this
        convolution made (a temporary while it runs); 0 for other parts.
    """

    output_shape: Shape
    params: int = 0
    macs: int = 0
    bias_adds: int = 0
    elementwise: int = 0
    padded_input: int = 0


@dataclass(frozen=True)
class Part:
    """Base of all parts. ``name`` is the torch child's name; ``group`` names the step the
    part belongs to (a convolution with its pad, BN and activation share one group), which
    is the unit the runner shows as one feature map."""

    name: str
    group: str

    def count(self, shape: Shape) -> PartCount:  # pragma: no cover - abstract
        raise NotImplementedError

    def module(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def code(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    #: ``(kernel, stride, dilation)`` for the receptive field, or ``None``.
    def window(self) -> tuple[Pair, Pair, Pair] | None:
        return None


def _tuple(pair: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(v)) for v in pair) + ")"


@dataclass(frozen=True)
class Pad(Part):
    """``nn.ZeroPad2d``: zeros added ``(top, bottom, left, right)`` — the asymmetric
    padding that ``Conv2d``'s ``padding`` cannot express (TensorFlow's 'SAME', stride 2)."""

    pad: tuple[int, int, int, int]

    def count(self, shape: Shape) -> PartCount:
        t, b, left, r = self.pad
        return PartCount((shape[0], shape[1] + t + b, shape[2] + left + r))

    def module(self) -> Any:
        from torch import nn

        t, b, left, r = self.pad
        return nn.ZeroPad2d((left, r, t, b))

    def code(self) -> str:
        t, b, left, r = self.pad
        return f"nn.ZeroPad2d({_tuple((left, r, t, b))})"


@dataclass(frozen=True)
class Conv(Part):
    """``nn.Conv2d``. ``padding`` is a symmetric ``(h, w)`` pair or ``"same"``."""

    c_in: int
    c_out: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair | str = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True
    #: the field to blame when the groups do not divide the output channels
    out_field: str = "out_channels"
    #: one filter per input channel (depthwise: ``groups = C_in``), drawn as a mosaic
    per_channel: bool = False
    #: a per-pixel ``C_out × C_in`` matrix (pointwise): takes the 1×1 weight presets, and the
    #: walk-through and inspector explain it as a matrix, not as windows
    matrix: bool = False

    def count(self, shape: Shape) -> PartCount:
        c_in, h, w = shape
        if c_in % self.groups:
            raise SpecError(
                f"groups={self.groups} does not divide the {c_in} input channels",
                field="groups",
            )
        if self.c_out % self.groups:
            raise SpecError(
                f"groups={self.groups} does not divide the {self.c_out} output channels",
                field=self.out_field,
            )
        sizes = []
        for axis, size in (0, h), (1, w):
            k, s, d = self.kernel[axis], self.stride[axis], self.dilation[axis]
            span = d * (k - 1) + 1
            if self.padding == "same":
                if s != 1:
                    raise SpecError("padding 'same' needs stride 1 (as in torch)", field="padding")
                sizes.append(size)
                continue
            p = self.padding[axis]
            if span > size + 2 * p:
                what = f"kernel {self.kernel[0]}×{self.kernel[1]}"
                if d > 1:
                    what += f" with dilation {self.dilation[0]}×{self.dilation[1]} (span {span})"
                raise SpecError(
                    f"{what} is bigger than the padded input "
                    f"({h + 2 * self.padding[0]}×{w + 2 * self.padding[1]})",
                    field="kernel_size",
                )
            sizes.append(conv_output_size(size, k, s, p, d))
        out = (self.c_out, sizes[0], sizes[1])
        n_out = math.prod(out)
        weights = self.c_out * (c_in // self.groups) * self.kernel[0] * self.kernel[1]
        return PartCount(
            output_shape=out,
            params=weights + (self.c_out if self.bias else 0),
            macs=n_out * (c_in // self.groups) * self.kernel[0] * self.kernel[1],
            bias_adds=n_out if self.bias else 0,
        )

    def module(self) -> Any:
        from torch import nn

        return nn.Conv2d(
            self.c_in,
            self.c_out,
            self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias,
        )

    def code(self) -> str:
        args = [str(self.c_in), str(self.c_out), f"kernel_size={_tuple(self.kernel)}"]
        if tuple(self.stride) != (1, 1):
            args.append(f"stride={_tuple(self.stride)}")
        if self.padding == "same":
            args.append('padding="same"')
        elif tuple(self.padding) != (0, 0):
            args.append(f"padding={_tuple(self.padding)}")  # type: ignore[arg-type]
        if tuple(self.dilation) != (1, 1):
            args.append(f"dilation={_tuple(self.dilation)}")
        if self.groups != 1:
            args.append(f"groups={self.groups}")
        if not self.bias:
            args.append("bias=False")
        return f"nn.Conv2d({', '.join(args)})"

    def window(self) -> tuple[Pair, Pair, Pair] | None:
        return self.kernel, self.stride, self.dilation


@dataclass(frozen=True)
class BatchNorm(Part):
    """``nn.BatchNorm2d`` (eval mode): γ, β per channel are parameters."""

    channels: int

    def count(self, shape: Shape) -> PartCount:
        return PartCount(shape, params=2 * self.channels)

    def module(self) -> Any:
        from torch import nn

        return nn.BatchNorm2d(self.channels)

    def code(self) -> str:
        return f"nn.BatchNorm2d({self.channels})"


def activation_module(function: str, slope: float = 0.01, channels: int = 1) -> Any:
    """The torch module of activation ``function`` (``None`` for ``"none"``)."""
    from torch import nn

    return {
        "relu": nn.ReLU,
        "relu6": nn.ReLU6,
        "hardswish": nn.Hardswish,
        "hardsigmoid": nn.Hardsigmoid,
        "sigmoid": nn.Sigmoid,
        "silu": nn.SiLU,
        "leaky_relu": lambda: nn.LeakyReLU(slope),
        "prelu": lambda: nn.PReLU(channels),
        "none": lambda: None,
    }[function]()


def activation_code(function: str, slope: float = 0.01, channels: int = 1) -> str:
    """Constructor text of activation ``function``, e.g. ``"nn.LeakyReLU(0.1)"``."""
    return ACTIVATION_FUNCTIONS[function].format(slope=repr(float(slope)), channels=channels)


@dataclass(frozen=True)
class Activation(Part):
    """An element-wise non-linearity; PReLU has one learnable slope per channel."""

    function: str
    channels: int
    slope: float = 0.01

    def count(self, shape: Shape) -> PartCount:
        return PartCount(shape, params=self.channels if self.function == "prelu" else 0)

    def module(self) -> Any:
        return activation_module(self.function, self.slope, self.channels)

    def code(self) -> str:
        return activation_code(self.function, self.slope, self.channels)


@dataclass(frozen=True)
class Pool(Part):
    """``nn.MaxPool2d`` / ``nn.AvgPool2d`` (``op`` ``"max"`` or ``"avg"``)."""

    op: str
    kernel: Pair
    stride: Pair
    padding: Pair = (0, 0)
    ceil_mode: bool = False

    def count(self, shape: Shape) -> PartCount:
        c, h, w = shape
        sizes = []
        for axis, size in (0, h), (1, w):
            k, s, p = self.kernel[axis], self.stride[axis], self.padding[axis]
            if 2 * p > k:
                raise SpecError(
                    f"padding {p} is more than half the kernel {k} (torch refuses it)",
                    field="padding",
                )
            # ceil_mode lets the last window hang over the end (torch's rule), so a kernel a
            # little bigger than the padded input still gives one output
            num = size + 2 * p - k + ((s - 1) if self.ceil_mode else 0)
            if num < 0:
                raise SpecError(
                    f"kernel {self.kernel[0]}×{self.kernel[1]} is bigger than the padded "
                    f"input ({h + 2 * self.padding[0]}×{w + 2 * self.padding[1]})",
                    field="kernel_size",
                )
            out = num // s + 1
            if self.ceil_mode and (out - 1) * s >= size + p:
                out -= 1  # the last window must start inside the input (torch's rule)
            sizes.append(out)
        out_shape = (c, sizes[0], sizes[1])
        return PartCount(
            out_shape, elementwise=math.prod(out_shape) * self.kernel[0] * self.kernel[1]
        )

    def _args(self) -> list[str]:
        args = [f"kernel_size={_tuple(self.kernel)}", f"stride={_tuple(self.stride)}"]
        if tuple(self.padding) != (0, 0):
            args.append(f"padding={_tuple(self.padding)}")
        if self.ceil_mode:
            args.append("ceil_mode=True")
        return args

    def module(self) -> Any:
        from torch import nn

        cls = nn.MaxPool2d if self.op == "max" else nn.AvgPool2d
        return cls(self.kernel, stride=self.stride, padding=self.padding, ceil_mode=self.ceil_mode)

    def code(self) -> str:
        cls = "nn.MaxPool2d" if self.op == "max" else "nn.AvgPool2d"
        return f"{cls}({', '.join(self._args())})"

    def window(self) -> tuple[Pair, Pair, Pair] | None:
        return self.kernel, self.stride, (1, 1)
