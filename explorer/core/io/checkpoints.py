"""Reading tensors from PyTorch checkpoints, safely.

A checkpoint is only ever opened with ``torch.load(..., weights_only=True)`` (zip or legacy
non-zip pickles): a pickle that would run code is refused, never executed. ``.safetensors``
files (recognised by their header, whatever the suffix) are read with the ``safetensors``
library, never with pickle. Accepted contents:

* a ``state_dict`` (a mapping of names to tensors);
* a mapping holding one under ``"state_dict"`` or ``"model"`` (training checkpoints);
* a bare tensor, returned under the key ``"tensor"``.

Tensors are returned as float32 on the CPU. Integer tensors are converted; entries that
are not tensors, or are bool/complex tensors, are left out; a file with nothing usable is
refused.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import torch

from explorer.core.errors import CheckpointError

__all__ = ["clear_cache", "load_state_dict", "tensors_fitting"]

_CACHE_SIZE = 8
_lock = threading.Lock()  # the runner reads checkpoints on a worker thread
_cache: OrderedDict[tuple[str, int, int], dict[str, torch.Tensor]] = OrderedDict()


def clear_cache() -> None:
    """Forget every checkpoint read so far."""
    with _lock:
        _cache.clear()


def _unwrap(obj: object) -> object:
    if isinstance(obj, torch.Tensor):
        return {"tensor": obj}
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                return inner
    return obj


def _usable(name: str, obj: object) -> dict[str, torch.Tensor]:
    if not isinstance(obj, Mapping):
        raise CheckpointError(
            f"checkpoint {name}: holds a {type(obj).__name__}, not tensors or a state_dict"
        )
    out: dict[str, torch.Tensor] = {}
    refused: set[str] = set()
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            continue
        if value.is_complex() or value.dtype == torch.bool:
            refused.add(str(value.dtype).removeprefix("torch."))
            continue
        if value.numel() == 0:
            continue
        out[str(key)] = value.detach().to("cpu", torch.float32)
    if not out:
        why = (
            f"only {'/'.join(sorted(refused))} tensors, which cannot be weights"
            if refused
            else "no non-empty tensors"
        )
        raise CheckpointError(f"checkpoint {name}: holds {why}")
    return out


def _load_failure(exc: Exception) -> str:
    """Why ``torch.load`` failed, in one line (its own messages run to a page)."""
    lines = [
        line.strip()
        for line in str(exc).splitlines()
        if line.strip() and not line.startswith("Check the documentation")
    ]
    if any("GLOBAL" in line or "Unsupported global" in line for line in lines):
        return (
            "refused: it holds Python objects other than tensors (only weights are "
            "loaded; code in a checkpoint is never run)"
        )
    reason = lines[-1] if lines else type(exc).__name__
    return f"not a PyTorch checkpoint ({reason[:120]})"


def _is_safetensors(path: Path) -> bool:
    """A safetensors file: an 8-byte little-endian header length, then a JSON object."""
    if path.suffix.lower() == ".safetensors":
        return True
    with open(path, "rb") as handle:
        head = handle.read(9)
    return len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 2**27


def _load_safetensors(path: Path, name: str) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError, safe_open

    try:
        out = {}
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                out[key] = handle.get_tensor(key)
        return out
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise CheckpointError(
            f"checkpoint {name}: not a readable safetensors file ({reason})"
        ) from None


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, by name, as float32 CPU tensors.

    Results are cached by ``(path, mtime, size)``; the returned dict is a new one each
    time (the tensors are shared: do not modify them in place).

    Raises
    ------
    CheckpointError
        One line naming the file: missing, a directory, unreadable, not a torch file,
        unsafe (a pickle that would run code), or holding no usable tensors.
    """
    p = Path(path).expanduser()
    name = str(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {name}: no such file") from None
    except OSError as exc:
        raise CheckpointError(f"checkpoint {name}: cannot read it ({exc.strerror})") from None
    if p.is_dir():
        raise CheckpointError(f"checkpoint {name}: is a directory, not a file")
    if st.st_size == 0:
        raise CheckpointError(f"checkpoint {name}: the file is empty")
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return dict(_cache[key])
    try:
        if _is_safetensors(p):
            obj = _load_safetensors(p, name)
        else:
            # no warning filters here: this runs on workers (explorer.core.warning_policy)
            obj = torch.load(p, map_location="cpu", weights_only=True)
    except PermissionError:
        raise CheckpointError(f"checkpoint {name}: permission denied") from None
    except OSError as exc:
        raise CheckpointError(f"checkpoint {name}: cannot read it ({exc.strerror})") from None
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for bad files
        raise CheckpointError(f"checkpoint {name}: {_load_failure(exc)}") from None
    state = _usable(name, _unwrap(obj))
    with _lock:
        _cache[key] = state
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return dict(state)


def tensors_fitting(state: Mapping[str, torch.Tensor], shape: tuple[int, ...]) -> list[str]:
    """Names of the tensors in ``state`` whose shape is exactly ``shape``, in file order."""
    want = tuple(int(s) for s in shape)
    return [key for key, tensor in state.items() if tuple(tensor.shape) == want]
