"""Checks the weight tools make before they build one layer (or allocate for it) on the GUI
thread, and the document's rule for set weights when a layer's shape changes.

See :mod:`explorer.core.analysis.layer_guard` and :mod:`explorer.core.model.weight_fit` (issue 16).
"""

from __future__ import annotations

import sys

from explorer.core.analysis.layer_guard import guard_layer
from explorer.core.io.inputs import input_shape
from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.weight_fit import fit_weights  # here, not on the first edit (30 ms)

__all__ = [
    "check_layer",
    "edit_problem",
    "fit_scene_weights",
    "known_input_shape",
    "torch_loading",
]

_known: tuple[InputSpec, tuple[int, int, int]] | None = None  # see known_input_shape


def known_input_shape(input_spec: InputSpec) -> tuple[int, int, int]:
    """:func:`~explorer.core.io.inputs.input_shape`, remembered for the last input spec, as
    the controller's cost model remembers it: the weight tools check the selected layer on
    every selection and edit, and even a ``stat`` of the image file stalled the GUI thread
    on a busy disk. Another spec (image, size, mode, shape) is read again; a failure is not
    remembered."""
    global _known
    known = _known
    if known is None or known[0] != input_spec:
        known = _known = (input_spec, input_shape(input_spec))
    return known[1]


def torch_loading() -> bool:
    """Whether another thread is importing torch right now (the first run does): importing
    it on the GUI thread would then wait seconds for that import to finish.

    Also while the torch preload (:mod:`explorer.ui.state.torch_preload`) is loading the
    libraries, and while another thread holds torch's import lock before the module exists
    (an ``import torch`` waiting at the preload's gate): a GUI-thread import then waited a
    second for it (monkey seed 3, "edit weights table" right after start-up). And before
    the window's first paint, when the preload is announced but not started: the GUI
    thread then imported torch itself, ≈ 1 s (monkey seed 6, its first action)."""
    from explorer.ui.state.torch_preload import torch_preload_expected, wait_for_torch_preload

    if "torch" not in sys.modules and (
        torch_preload_expected() or not wait_for_torch_preload(0) or _import_lock_held("torch")
    ):
        return True
    for name in ("torch", "explorer.core.compute.build"):
        module = sys.modules.get(name)
        if module is not None and getattr(
            getattr(module, "__spec__", None), "_initializing", False
        ):
            return True
    return False


def _import_lock_held(name: str) -> bool:
    """Whether some thread holds (or waits for) the import lock of module ``name``."""
    import importlib._bootstrap as bootstrap

    locks = getattr(bootstrap, "_module_locks", None)
    if not isinstance(locks, dict):
        return False
    ref = locks.get(name)
    return ref is not None and ref() is not None


def check_layer(scene: Scene, index: int, *, edit: bool = True) -> int:
    """The input channels of layer ``index`` once it is safe to build it (and, with ``edit``,
    to set its weights by hand): see :func:`explorer.core.analysis.layer_guard.guard_layer`.

    Raises
    ------
    ExplorerError
        A :class:`SpecError` when the stack up to the layer is invalid or the layer is too
        big to edit by hand, a ``ResourceError`` when its weights would not fit in memory,
        an ``ImageError`` when the input cannot be read.
    """
    return guard_layer(known_input_shape(scene.input), scene.layers, index, edit=edit)


def edit_problem(scene: Scene, index: int) -> str | None:
    """Why the weights of layer ``index`` cannot be set now (see :func:`check_layer`), or
    ``None`` when they can: the weight actions are disabled and say so."""
    from explorer.core.errors import ExplorerError

    try:
        check_layer(scene, index)
    except ExplorerError as exc:
        return str(exc)
    return None


def fit_scene_weights(scene: Scene, *, remembered: bool = False) -> tuple[Scene, list[str]]:
    """``scene`` without the set weights that no longer fit their layer, and what went
    (:func:`explorer.core.model.weight_fit.fit_weights`; the document applies it to every
    edit, with ``remembered``: the input's shape from :func:`known_input_shape`)."""
    return fit_weights(scene, known_input_shape if remembered else input_shape)
