"""Numbers as the program writes them, in one place: shapes, counts, bytes and ratios.

Every view, the command line and the formulas use these, so a shape or the
separable-vs-standard ratio reads the same in the cost table, the comparison window,
``conv-explorer stats`` and the formula panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "bytes_text",
    "compact",
    "grouped",
    "separable_ratio_parts",
    "separable_ratio_text",
    "shape_text",
    "tensor_shape_text",
    "times_fewer",
]


def shape_text(shape: Iterable[int]) -> str:
    """A feature-map or kernel shape: ``(128, 32, 32)`` → ``"128×32×32"``."""
    return "×".join(str(int(s)) for s in shape)


def tensor_shape_text(shape: Iterable[int]) -> str:
    """A tensor's shape as torch and the scene files write it: ``"[16, 3, 3, 3]"``."""
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def grouped(n: int) -> str:
    """An exact count: ``8388608`` → ``"8,388,608"``."""
    return f"{n:,}"


def compact(n: float) -> str:
    """A count at a glance: ``8388608`` → ``"8.39 M"``; ``950`` → ``"950"``;
    ``1.2e10`` → ``"12.0 G"``."""
    value = abs(float(n))
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            scaled = n / scale
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f} {unit}"
    return f"{n:g}" if isinstance(n, float) else str(n)


def bytes_text(n: int) -> str:
    """Memory, in binary units: ``"6.3 GiB"``, ``"12.0 MiB"``, ``"512 KiB"``, ``"100 B"``."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"


def times_fewer(ratio: float) -> str:
    """A ratio below 1 as a reduction: ``0.119`` → ``"8.4× fewer"``."""
    return f"{1 / ratio:.1f}× fewer" if ratio > 0 else "∞× fewer"


def separable_ratio_parts(
    out_channels: int, kernel_size: Sequence[int], multiplier: int = 1
) -> tuple[str, str]:
    """MobileNet's separable / standard ratio as symbols and with the numbers in:
    ``("1/C_out + 1/k²", "1/128 + 1/9")``; ``m·(…)`` for a channel multiplier above 1
    and ``1/(kh·kw)`` for a non-square kernel."""
    kh, kw = int(kernel_size[0]), int(kernel_size[1])
    symbols = "1/C_out + 1/k²" if kh == kw else "1/C_out + 1/(kh·kw)"
    numbers = f"1/{int(out_channels)} + 1/{kh * kw}"
    if multiplier != 1:
        return f"m·({symbols})", f"{int(multiplier)}·({numbers})"
    return symbols, numbers


def separable_ratio_text(
    out_channels: int, kernel_size: Sequence[int], multiplier: int = 1, *, digits: int = 3
) -> str:
    """``"1/C_out + 1/k² = 1/128 + 1/9 = 0.119"``: the formula, filled in and evaluated
    (``digits`` decimals)."""
    kh, kw = int(kernel_size[0]), int(kernel_size[1])
    ratio = multiplier * (1 / out_channels + 1 / (kh * kw))
    symbols, numbers = separable_ratio_parts(out_channels, (kh, kw), multiplier)
    return f"{symbols} = {numbers} = {ratio:.{digits}f}"
