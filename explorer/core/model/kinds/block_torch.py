"""The torch side of :mod:`explorer.core.model.kinds.block` (imported only when a block is built).

The classes mirror the helper classes that :mod:`explorer.core.compute.codegen` writes into a
generated script (same construction order and parameter names, so the same seed gives the
same weights and the state dicts match).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from explorer.core.model.kinds.parts import activation_module

__all__ = ["BlockModule", "SqueezeExcite", "block_forward_parts", "build_block"]


class SqueezeExcite(nn.Module):
    """Global average pool → 1×1 ``fc1`` → activation → 1×1 ``fc2`` → gate → multiply."""

    def __init__(self, channels: int, squeeze: int, activation: nn.Module, gate: nn.Module):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.activation = activation
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = gate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * self.gate(self.fc2(self.activation(self.fc1(s))))


class BlockModule(nn.Module):
    """Inner layers; SE after inner layer ``se_after`` (0-based); skip (max-pooled by
    ``skip_pool``, zero channels appended when ``skip_pad``); activation."""

    def __init__(
        self,
        body: list[nn.Module],
        se: nn.Module | None = None,
        se_after: int = -1,
        skip: bool = False,
        act: nn.Module | None = None,
        skip_pool: int = 1,
        skip_pad: bool = False,
    ) -> None:
        super().__init__()
        self.body = nn.ModuleList(body)
        self.se = se
        self.se_after = se_after
        self.skip = skip
        self.skip_pool = skip_pool
        self.skip_pad = skip_pad
        self.act = act if act is not None else nn.Identity()

    def skipped(self, x: torch.Tensor, channels: int) -> torch.Tensor:
        """The skip: ``x`` max-pooled and padded with zero channels up to ``channels``."""
        if self.skip_pool > 1:
            x = nn.functional.max_pool2d(x, self.skip_pool, self.skip_pool, ceil_mode=True)
        if self.skip_pad:
            x = nn.functional.pad(x, (0, 0, 0, 0, 0, channels - x.shape[1]))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for i, layer in enumerate(self.body):
            y = layer(y)
            if self.se is not None and i == self.se_after:
                y = self.se(y)
        if self.skip:
            y = y + self.skipped(x, y.shape[1])
        return self.act(y)


def build_block(spec: Any, in_channels: int) -> BlockModule:
    """Construct the block: inner layers in order, then the SE (seeding relies on it)."""
    body = []
    channels = in_channels
    se_channels = None
    for i, inner in enumerate(spec.layers):
        body.append(inner.build_module(channels))
        channels = inner.out_channels_for(channels)
        if i + 1 == spec.se_after:
            se_channels = channels
    se = None
    if spec.se and se_channels is not None:
        fc1, act, _ = spec._se_parts(se_channels)
        se = SqueezeExcite(se_channels, fc1.c_out, act.module(), activation_module(spec.se_gate))
    act = activation_module(spec.activation, spec.negative_slope, channels)
    return BlockModule(
        body,
        se,
        spec.se_after - 1 if se is not None else -1,
        spec.skip,
        act,
        spec.skip_pool,
        spec.skip_pad,
    )


def block_forward_parts(spec: Any, module: BlockModule, x: torch.Tensor) -> list[tuple[str, Any]]:
    """Run the block; the output of each inner step, named ``"1.pointwise"``,
    ``"2.depthwise"``, ``"se"``, ``"add"``, ``"act"``; the last one is the block's output."""
    out: list[tuple[str, Any]] = []
    y = x
    for i, (inner, layer) in enumerate(zip(spec.layers, module.body, strict=True)):
        for name, value in inner.forward_parts(layer, y):
            out.append((f"{i + 1}.{name}", value))
            y = value
        if module.se is not None and i == module.se_after:
            y = module.se(y)
            out.append(("se", y))
    if module.skip:
        y = y + module.skipped(x, y.shape[1])
        out.append(("add", y))
    if not isinstance(module.act, nn.Identity):
        y = module.act(y)
        out.append(("act", y))
    return out
