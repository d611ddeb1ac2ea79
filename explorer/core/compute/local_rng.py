"""Seeded construction from a local ``torch.Generator``, on the calling thread only.

torch's modules initialise their weights in their constructors from the process-global
generator (``torch.manual_seed``). Two threads building layers at once would then draw from
one shared stream, and seeding it is global state. Inside :func:`local_generator`, every
random call made on *this* thread without an explicit ``generator`` — ``nn.init``'s
functions, ``Tensor.uniform_`` … — is given the local generator instead: a
``TorchFunctionMode``, whose stack is per thread. The numbers are those torch's default
initialisation gives right after ``torch.manual_seed(seed)``, for any module, and the global
generator is neither read nor advanced.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["local_generator"]

#: torch's random functions whose signature Python cannot read (C functions and methods).
_RANDOM_BUILTINS = frozenset(
    {
        torch.Tensor.uniform_,
        torch.Tensor.normal_,
        torch.Tensor.random_,
        torch.Tensor.bernoulli_,
        torch.Tensor.exponential_,
        torch.Tensor.geometric_,
        torch.Tensor.cauchy_,
        torch.Tensor.log_normal_,
        torch.Tensor.bernoulli,
        torch.Tensor.multinomial,
        torch.rand,
        torch.randn,
        torch.randint,
        torch.randperm,
        torch.normal,
        torch.bernoulli,
        torch.multinomial,
        torch.poisson,
    }
)
_TAKES_GENERATOR: dict[Callable[..., Any], bool] = {}


def _takes_generator(func: Callable[..., Any]) -> bool:
    known = _TAKES_GENERATOR.get(func)
    if known is None:
        try:
            known = "generator" in inspect.signature(func).parameters
        except (TypeError, ValueError):  # a C function: only the listed ones draw numbers
            known = func in _RANDOM_BUILTINS
        _TAKES_GENERATOR[func] = known
    return known


class _LocalGenerator(TorchFunctionMode):
    def __init__(self, generator: torch.Generator) -> None:
        super().__init__()
        self.generator = generator

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = dict(kwargs or {})
        if kwargs.get("generator") is None and _takes_generator(func):
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


@contextmanager
def local_generator(seed: int) -> Iterator[torch.Generator]:
    """Within the block, this thread's random calls without a ``generator`` draw from a new
    CPU generator seeded with ``seed`` (yielded)."""
    generator = torch.Generator().manual_seed(int(seed))
    with _LocalGenerator(generator):
        yield generator
