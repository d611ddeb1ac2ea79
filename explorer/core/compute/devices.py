"""Where torch runs and how arrays become tensors: shared by the runner and the timer
(kept apart so that :mod:`explorer.core.compute.timing` need not import :mod:`explorer.core.compute.run`)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["device_text", "pick_device"]


def pick_device() -> str:
    """``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_text() -> str:
    """The device runs use, for the status bar: ``"cpu"``, or ``"cuda: <GPU name>"``."""
    device = pick_device()
    if device.startswith("cuda"):
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return device


def _sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    base = array.base
    if (
        isinstance(base, torch.Tensor)
        and base.dtype == torch.float32
        and tuple(base.shape) == array.shape
        and base.is_contiguous()
        and base.data_ptr() == array.ctypes.data
    ):
        # a (read-only) output of ours, e.g. from the cache: its own tensor, no copy
        return base
    array = np.ascontiguousarray(array, dtype=np.float32)
    # from_numpy warns on read-only arrays (ours are, to protect the cache): copy those
    return torch.from_numpy(array) if array.flags.writeable else torch.tensor(array)
