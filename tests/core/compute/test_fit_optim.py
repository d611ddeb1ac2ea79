"""The fit's optimisers follow torch.optim's update rules, step by step."""

from __future__ import annotations

import pytest
import torch

from explorer.core.compute.fit_optim import SGD, Adam


def _run(make, steps: int = 25) -> list[torch.Tensor]:
    torch.manual_seed(0)
    w = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    x = torch.randn(3, 50, dtype=torch.float64)
    y = torch.randn(4, 50, dtype=torch.float64)
    opt = make([w, b])
    for _ in range(steps):
        loss = ((w @ x + b[:, None] - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [w.detach(), b.detach()]


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda p: Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05)),
        (
            lambda p: SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        ),
        (lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    ],
)
def test_same_steps_as_torch_optim(ours, theirs):
    for a, b in zip(_run(ours), _run(theirs), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
