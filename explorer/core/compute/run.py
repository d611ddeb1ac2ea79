"""Running a stack in torch, one layer at a time, for display.

:func:`run_stack` is a plain generator (no Qt): give it the layers and the image, and it
yields one :class:`LayerResult` per layer as soon as that layer is done, so a worker thread
can show feature maps progressively and stop between layers when a newer request arrives.

Re-running after an edit of layer ``k`` reuses layers ``< k`` from a :class:`LayerCache`:
each layer's cache key is a hash of its spec, in-channels, seed, index, the files of its
checkpoint weights, and the key of what came in (the image's bytes for the first layer),
so a key names the whole upstream chain.
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from explorer.core.analysis.costs import stack_cost
from explorer.core.analysis.map_ranges import ChannelRanges, channel_ranges
from explorer.core.analysis.memory import check_memory
from explorer.core.compute.build import build_layer, layer_weights, part_modules
from explorer.core.compute.chunked import Aborted, run_part
from explorer.core.compute.devices import _sync, _to_tensor, pick_device
from explorer.core.model.spec_text import spec_text
from explorer.core.model.specs import CheckpointTensor, LayerSpec, ModelTensor

__all__ = [
    "LayerCache",
    "LayerResult",
    "measure_forward",
    "pick_device",
    "quiet_same_padding",
    "run_stack",
]


@dataclass(frozen=True, eq=False)
class LayerResult:
    """What one layer did to its input.

    Arrays are read-only (they may be shared with the cache).

    Attributes
    ----------
    index, kind
        The layer's place in the stack and its kind.
    output
        The layer's output ``(C, H, W)`` float32 (after its BN and activation).
    parts
        The output of each convolution part with its BN and activation, keyed by part
        name (``"conv"``, ``"pointwise"``, ``"depthwise"``; separable has
        ``"depthwise"`` and ``"pointwise"``). The last part is ``output``.
    weights
        :func:`explorer.core.compute.build.layer_weights` of the layer.
    seconds
        Wall time of the ONE forward pass that computed the layer (cold: includes
        first-call set-up). Shown times come from :mod:`explorer.core.compute.timing`.
    cached
        True when this result came from the cache rather than a new forward pass.
    ranges
        :func:`~explorer.core.analysis.map_ranges.channel_ranges` of each part (the output
        is the last part), computed on the worker so that colour levels cost the GUI
        thread nothing per value.
    """

    index: int
    kind: str
    output: np.ndarray
    parts: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    seconds: float
    cached: bool = False
    key: bytes = field(default=b"", repr=False)
    #: identity of the layer it came from (:attr:`LayerSpec.uid`)
    uid: int = 0
    ranges: dict[str, ChannelRanges] = field(default_factory=dict, repr=False)

    @property
    def nbytes(self) -> int:
        arrays = {id(a): a for a in (self.output, *self.parts.values(), *self.weights.values())}
        return sum(a.nbytes for a in arrays.values())


class LayerCache:
    """A bounded LRU of :class:`LayerResult` by cache key; safe to share between threads.

    Parameters
    ----------
    max_entries
        Most results kept.
    max_bytes
        Most bytes of arrays kept; the least recently used results go first.
    """

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 1024**2) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, LayerResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> LayerResult | None:
        with self._lock:
            result = self._items.get(key)
            if result is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return result

    def put(self, key: bytes, result: LayerResult) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if result.nbytes > self.max_bytes:
                return
            self._items[key] = result
            self._bytes += result.nbytes
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items


@contextmanager
def quiet_same_padding() -> Iterator[None]:
    """Silence torch's note that ``padding="same"`` with an even kernel copies the input.

    For the main thread only (tests comparing with plain torch modules): it swaps the
    process-global warning filters, which a worker thread must never do. The layers of
    :func:`~explorer.core.compute.build.build_layer` pad such inputs explicitly
    (:mod:`explorer.core.compute.same_padding`), so running them needs no silencing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using padding='same'", category=UserWarning)
        yield


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    array = tensor.detach().to("cpu", torch.float32).numpy()
    array.flags.writeable = False
    return array


def measure_forward(
    module: torch.nn.Module, x: torch.Tensor | np.ndarray, *, warmup: int = 2, repeats: int = 7
) -> float:
    """Median wall time in seconds of ``module(x)`` after ``warmup`` untimed runs
    (:func:`explorer.core.compute.timing.sample_forward`, which also gives the spread).

    ``x`` is a batch ``(N, C, H, W)`` or one ``(C, H, W)`` image (numpy or torch), run on
    the module's device.
    """
    from explorer.core.compute.timing import sample_forward

    timing = sample_forward(module, x, warmup=warmup, repeats=repeats)
    assert timing is not None  # nothing can abort it
    return timing.median


def _checkpoint_stamps(spec: LayerSpec) -> tuple:
    """Identify the checkpoint files a layer reads, so editing a file invalidates it."""
    stamps = [_checkpoint_stamps(inner) for inner in getattr(spec, "layers", ())]
    for _, source in spec.weights:
        if isinstance(source, (CheckpointTensor, ModelTensor)):
            path = source.checkpoint if isinstance(source, CheckpointTensor) else source.model
            try:
                st = Path(path).stat()
                stamps.append((path, st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append((path, None, None))
    return tuple(stamps)


#: Keys of read-only input images by ``id``, with a weak reference that says the array is
#: still the same object: hashing a 256×256 RGB image costs milliseconds on every edit.
_IMAGE_KEYS: dict[int, tuple[weakref.ref, bytes]] = {}


def _image_key(image: np.ndarray) -> bytes:
    if not image.flags.writeable:  # read-only (as resolve_input returns it): cannot change
        known = _IMAGE_KEYS.get(id(image))
        if known is not None and known[0]() is image:
            return known[1]
    key = _hash_image(image)
    if not image.flags.writeable:
        try:
            image_id = id(image)
            ref = weakref.ref(image, lambda _, i=image_id: _IMAGE_KEYS.pop(i, None))
        except TypeError:  # an array type without weak references: no memo
            return key
        _IMAGE_KEYS[id(image)] = (ref, key)
    return key


def _hash_image(image: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((image.shape, str(image.dtype))).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.digest()


def _layer_key(
    upstream: bytes, spec: LayerSpec, in_channels: int, seed: int, index: int, device: str
) -> bytes:
    h = hashlib.blake2b(upstream, digest_size=20)
    # the spec's text with its hand-set weights by digest: repr would hold the interpreter
    # lock for the whole of a long tuple of floats (see spec_text)
    text = spec_text(spec)
    h.update(repr((text, in_channels, seed, index, device, _checkpoint_stamps(spec))).encode())
    return h.digest()


def run_stack(
    layers: Sequence[LayerSpec],
    image: np.ndarray,
    *,
    seed: int = 0,
    should_abort: Callable[[], bool] | None = None,
    cache: LayerCache | None = None,
    device: str | None = None,
) -> Iterator[LayerResult]:
    """Run the layers on ``image`` and yield one :class:`LayerResult` per layer.

    Parameters
    ----------
    layers
        The stack.
    image
        ``(C, H, W)`` input, converted to float32.
    seed
        The scene's seed (see :func:`explorer.core.compute.build.layer_seed`).
    should_abort
        Called before each layer and between the blocks of a long convolution
        (:mod:`explorer.core.compute.chunked`); when it returns true the generator stops.
    cache
        Reuse (and store) results of layers whose whole upstream is unchanged.
    device
        ``"cpu"``, ``"cuda"``; ``None`` for :func:`pick_device`. Results are on the CPU.

    Raises
    ------
    SpecError
        If the stack cannot run on the image (raised before any layer runs).
    ResourceError
        If it would need more memory than :func:`explorer.core.analysis.memory.memory_limit_bytes`.
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {image.shape}")
    check_memory(stack_cost(image.shape, layers))
    device = device or pick_device()
    key = _image_key(image)
    x: torch.Tensor | None = None  # input of the next layer, on the device
    previous: np.ndarray = image
    channels = int(image.shape[0])
    for index, spec in enumerate(layers):
        if should_abort is not None and should_abort():
            return
        key = _layer_key(key, spec, channels, seed, index, device)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            result = replace(hit, cached=True, uid=spec.uid)
            x = None
        else:
            if x is None:
                x = _to_tensor(previous)[None].to(device)
            try:
                result, x = _run_layer(spec, x, channels, seed, index, device, key, should_abort)
            except Aborted:
                return
            if cache is not None:
                cache.put(key, result)
        previous = result.output
        channels = int(result.output.shape[0])
        # no torch mode is held across the yield: the consumer runs in its own state
        yield result


def _run_layer(
    spec: LayerSpec,
    x: torch.Tensor,
    channels: int,
    seed: int,
    index: int,
    device: str,
    key: bytes,
    should_abort: Callable[[], bool] | None = None,
) -> tuple[LayerResult, torch.Tensor]:
    module = build_layer(spec, channels, seed=seed, index=index)
    if device != "cpu":  # built on the CPU: moving it there again costs milliseconds
        module = module.to(device)
    weights = _readonly(layer_weights(module, spec))
    outs: dict[str, torch.Tensor] = {}
    with torch.inference_mode():
        _sync(device)
        start = time.perf_counter()
        if getattr(spec, "layers", None):  # a block (skip, SE): not a chain of parts
            for name, value in spec.forward_parts(module, x):
                outs[name] = value
            x = next(reversed(outs.values()))
        else:  # a chain: each convolution in blocks, so a long layer can stop part-way
            for name, part in part_modules(module, spec):
                x = run_part(part, x, should_abort)
                outs[name] = x
        _sync(device)
        seconds = time.perf_counter() - start
    parts = {name: _to_numpy(t[0]) for name, t in outs.items()}
    result = LayerResult(
        index=index,
        kind=spec.kind,
        output=parts[next(reversed(parts))],
        parts=parts,
        weights=weights,
        seconds=seconds,
        cached=False,
        key=key,
        uid=spec.uid,
        ranges={name: channel_ranges(a) for name, a in parts.items()},
    )
    return result, x


def _readonly(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for a in arrays.values():
        a.flags.writeable = False
    return arrays
