"""Adam and SGD with momentum, as ``torch.optim`` computes them, in a few tensor operations.

Why not ``torch.optim``: constructing any of its optimizers imports ``torch._dynamo``
(``Optimizer.__init__`` is wrapped to disable compilation), which takes 2–5 s on the first fit
of a process — the window would show nothing for that long after Start. These two follow
torch's update rules (``torch/optim/adam.py``, ``sgd.py``: no weight decay, no amsgrad,
no dampening, no Nesterov) and ``tests/core/test_fit_optim.py`` checks them step by step
against ``torch.optim``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["Adam", "SGD"]


class Adam:
    """``torch.optim.Adam(params, lr, betas=(0.9, 0.999), eps=1e-8)``."""

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps = float(lr), betas, float(eps)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        """One update from the parameters' ``.grad``."""
        self.t += 1
        beta1, beta2 = self.betas
        bias1 = 1 - beta1**self.t
        bias2_sqrt = math.sqrt(1 - beta2**self.t)
        step_size = self.lr / bias1
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
            if p.grad is None:
                continue
            g = p.grad
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / bias2_sqrt).add_(self.eps)
            p.addcdiv_(m, denom, value=-step_size)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


class SGD:
    """``torch.optim.SGD(params, lr, momentum)`` (the first step takes the gradient as the
    momentum buffer, as torch does)."""

    def __init__(self, params: Sequence[torch.Tensor], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        self.lr, self.momentum = float(lr), float(momentum)
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        """One update from the parameters' ``.grad``."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = g.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(g)
                g = buf
            p.add_(g, alpha=-self.lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None
