"""The one owner of the scene being edited: evented, with undo and a dirty flag.

Views never own state: they call :class:`SceneDocument` methods, and they listen to its
signals. Every edit makes a new frozen :class:`~explorer.core.io.scene.Scene`, so the undo
history is a capped stack of labelled snapshots (cf. glue's ``CommandStack``) and an undo is
just "put the previous snapshot back". Consecutive edits with the same *merge key* (the same
field of the same layer) within :attr:`SceneDocument.merge_window` seconds become one step,
so typing ``1``, ``2``, ``8`` into a spin box is one undo step.

The document does not validate: a spec with a field the stack cannot take stays in the
document (the editor shows the error at the field and the user fixes it); the controller
decides what runs. No Qt here: the signals are psygnal's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, replace
from pathlib import Path

from psygnal import Signal

from explorer.core.model.kinds.base import new_uid
from explorer.core.model.scene_model import InputSpec, Scene
from explorer.core.model.specs import LayerSpec

__all__ = ["HISTORY_LIMIT", "MERGE_WINDOW", "SceneDocument"]

#: Most undo steps kept; the oldest are dropped first.
HISTORY_LIMIT = 200
#: Seconds within which consecutive edits of the same field merge into one undo step.
MERGE_WINDOW = 1.0


@dataclass
class _Step:
    """One undo step: the scene (and selection) before and after it."""

    label: str
    before: Scene
    after: Scene
    selected_before: int
    selected_after: int
    key: Hashable | None
    time: float


def _changed_fields(old: object, new: object) -> list[str]:
    """Names of the dataclass fields that differ between ``old`` and ``new``."""
    if type(old) is not type(new):
        return ["kind"]
    return [
        f.name
        for f in fields(old)
        if f.name != "uid" and getattr(old, f.name) != getattr(new, f.name)
    ]


class SceneDocument:
    """The scene being edited, its file path, the selected layer and the undo history.

    Parameters
    ----------
    scene
        The scene to start with (also the "saved" state: a new document is clean).
    path
        The file it came from, if any.
    clock
        Monotonic clock in seconds, used to merge quick edits (tests pass a fake one).
    history_limit
        Most undo steps kept.

    Signals
    -------
    changed(Scene)
        After every change of the scene (edit, undo, redo, reset).
    dirty_changed(bool)
        When the scene starts or stops differing from the last saved/loaded one.
    path_changed(object)
        When the file path changes (a :class:`~pathlib.Path` or ``None``).
    selection_changed(int)
        When the selected layer changes; ``-1`` means the input.
    inner_selection_changed(int)
        When the selected layer inside the selected block changes (``-1``: the block).
    """

    changed = Signal(object)
    dirty_changed = Signal(bool)
    path_changed = Signal(object)
    selection_changed = Signal(int)
    inner_selection_changed = Signal(int)
    #: Lines saying what :attr:`fit` dropped from an edit (e.g. weights that no longer fit).
    adjusted = Signal(object)

    merge_window: float = MERGE_WINDOW

    def __init__(
        self,
        scene: Scene | None = None,
        path: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        self._scene = scene if scene is not None else Scene()
        self._saved = self._scene
        self._path = Path(path) if path is not None else None
        self._selected = 0 if self._scene.layers else -1
        self._inner = -1
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._clock = clock
        self._history_limit = max(1, int(history_limit))
        self._merge_barrier = False
        #: Applied to every edit (not to undo, redo or reset): ``scene -> (scene, notes)``;
        #: the window sets :func:`explorer.core.model.weight_fit.fit_weights` here.
        self.fit: Callable[[Scene], tuple[Scene, list[str]]] | None = None

    # ------------------------------------------------------------------ properties
    @property
    def scene(self) -> Scene:
        """The current scene (a frozen snapshot; edit through the methods)."""
        return self._scene

    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        """The current scene's layers."""
        return self._scene.layers

    @property
    def path(self) -> Path | None:
        """The scene file this document was loaded from or saved to, if any."""
        return self._path

    @property
    def dirty(self) -> bool:
        """Whether the scene differs from the last saved or loaded one."""
        return self._scene != self._saved

    @property
    def selected(self) -> int:
        """Index of the selected layer; ``-1`` for the input."""
        return self._selected

    @property
    def can_undo(self) -> bool:
        """Whether there is a step to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is a step to redo."""
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        """What :meth:`undo` would undo, e.g. ``"change kernel_size"``; ``None`` if nothing."""
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        """What :meth:`redo` would redo; ``None`` if nothing."""
        return self._redo[-1].label if self._redo else None

    @property
    def undo_labels(self) -> list[str]:
        """Labels of the undo stack, oldest first."""
        return [s.label for s in self._undo]

    # ------------------------------------------------------------------ edits
    def set_scene(
        self, scene: Scene, label: str = "edit scene", *, group: Hashable | None = None
    ) -> None:
        """Replace the whole scene as one undo step (e.g. apply a preset).

        Consecutive calls with the same ``group`` (however far apart in time) stay one undo
        step, labelled by the last call: a fit shows its weights as it trains, then undoes
        in one go.
        """
        key = None if group is None else ("group", group)
        self._edit(scene, label, key, self._clamp(self._selected, scene), group is not None)

    def replace_layer(self, index: int, spec: LayerSpec, label: str | None = None) -> None:
        """Replace layer ``index`` with ``spec``.

        The label names the changed field (``"change kernel_size"``); edits of the same
        field(s) of the same layer in quick succession merge into one undo step.
        """
        layers = list(self._scene.layers)
        self._check_index(index, len(layers))
        old = layers[index]
        changed = _changed_fields(old, spec)
        if not changed:
            return
        spec = replace(spec, uid=old.uid)  # the same layer, edited: it keeps its identity
        if label is None:
            if changed == ["kind"]:
                label = f"change layer {index + 1} to {spec.kind}"
            elif len(changed) == 1:
                label = f"change {changed[0]}"
            else:
                label = f"change layer {index + 1}"
        layers[index] = spec
        key = ("layer", index, tuple(changed))
        self._edit(replace(self._scene, layers=tuple(layers)), label, key, self._selected)

    def insert_layer(self, index: int, spec: LayerSpec) -> None:
        """Insert ``spec`` before position ``index`` (``len(layers)`` appends); selects it."""
        layers = list(self._scene.layers)
        if not 0 <= index <= len(layers):
            raise IndexError(f"insert position {index} out of range 0..{len(layers)}")
        layers.insert(index, spec)
        self._edit(
            replace(self._scene, layers=tuple(layers)), f"add {spec.kind} layer", None, index
        )

    def append_layer(self, spec: LayerSpec) -> None:
        """Add ``spec`` at the end of the stack; selects it."""
        self.insert_layer(len(self._scene.layers), spec)

    def remove_layer(self, index: int) -> None:
        """Remove layer ``index``; the selection moves to its neighbour."""
        layers = list(self._scene.layers)
        self._check_index(index, len(layers))
        removed = layers.pop(index)
        sel = self._selected
        if sel > index or (sel == index and sel >= len(layers)):
            sel -= 1
        self._edit(
            replace(self._scene, layers=tuple(layers)),
            f"remove {removed.kind} layer",
            None,
            sel if layers else -1,
        )

    def duplicate_layer(self, index: int) -> None:
        """Insert a copy of layer ``index`` right after it; selects the copy."""
        layers = list(self._scene.layers)
        self._check_index(index, len(layers))
        layers.insert(index + 1, layers[index].with_changes(uid=new_uid()))  # a new identity
        self._edit(
            replace(self._scene, layers=tuple(layers)),
            f"duplicate {layers[index].kind} layer",
            None,
            index + 1,
        )

    def move_layer(self, src: int, dst: int) -> None:
        """Move layer ``src`` so that it ends at index ``dst``; the selection follows layers."""
        layers = list(self._scene.layers)
        self._check_index(src, len(layers))
        self._check_index(dst, len(layers))
        if src == dst:
            return
        order = list(range(len(layers)))
        order.insert(dst, order.pop(src))
        sel = order.index(self._selected) if self._selected >= 0 else -1
        new_layers = tuple(layers[i] for i in order)
        self._edit(replace(self._scene, layers=new_layers), "move layer", None, sel)

    def set_input(self, input_spec: InputSpec) -> None:
        """Change what goes into the first layer (image, size, mode or random shape)."""
        changed = _changed_fields(self._scene.input, input_spec)
        if not changed:
            return
        label = "change input image" if changed == ["image"] else "change input"
        key = ("input", tuple(changed))
        self._edit(replace(self._scene, input=input_spec), label, key, self._selected)

    def set_seed(self, seed: int) -> None:
        """Change the seed of the random weights (quick changes merge)."""
        self._edit(replace(self._scene, seed=int(seed)), "change seed", ("seed",), self._selected)

    def set_title(self, title: str, caption: str | None = None) -> None:
        """Change the scene's title (and caption); quick changes merge."""
        changes = {"title": title}
        if caption is not None:
            changes["caption"] = caption
        self._edit(replace(self._scene, **changes), "change title", ("title",), self._selected)

    def select(self, index: int) -> None:
        """Select layer ``index`` (a block itself, not a layer inside it), or the input
        with ``-1``. Not an undo step."""
        if index != -1:
            self._check_index(index, len(self._scene.layers))
        self._set_selected(index)
        if self._inner != -1:
            self._inner = -1
            self.inner_selection_changed.emit(-1)

    @property
    def inner_selected(self) -> int:
        """Index of the selected layer inside the selected block; ``-1``: the block itself
        (or the selected layer is not a block)."""
        inner = getattr(self.layers[self._selected], "layers", ()) if self._selected >= 0 else ()
        return self._inner if 0 <= self._inner < len(inner) else -1

    def select_inner(self, index: int, inner: int) -> None:
        """Select layer ``index`` and, inside that block, layer ``inner`` (``-1``: the block)."""
        self.select(index)
        count = len(getattr(self.layers[index], "layers", ())) if index >= 0 else 0
        inner = inner if 0 <= inner < count else -1
        if inner != self._inner:
            self._inner = inner
            self.inner_selection_changed.emit(inner)

    # ------------------------------------------------------------------ history
    def undo(self) -> bool:
        """Undo the last step; return whether there was one."""
        if not self._undo:
            return False
        step = self._undo.pop()
        self._redo.append(step)
        self._merge_barrier = True
        self._apply(step.before, step.selected_before)
        return True

    def redo(self) -> bool:
        """Redo the last undone step; return whether there was one."""
        if not self._redo:
            return False
        step = self._redo.pop()
        self._undo.append(step)
        self._merge_barrier = True
        self._apply(step.after, step.selected_after)
        return True

    def reset(self, scene: Scene, path: str | Path | None = None) -> None:
        """Start over on ``scene`` (New / Open): clean, no history, first layer selected."""
        self._undo.clear()
        self._redo.clear()
        self._saved = scene
        old_path = self._path
        self._path = Path(path) if path is not None else None
        self._apply(scene, 0 if scene.layers else -1)
        if self._path != old_path:
            self.path_changed.emit(self._path)

    def mark_saved(self, path: str | Path | None = None, scene: Scene | None = None) -> None:
        """Record that the current scene was saved (to ``path``, if given): clean again.

        ``scene``: the scene that was written, when that is not the current one (a save
        written on a worker while the user went on editing): the document stays dirty
        unless it is back at that scene (undo).
        """
        was_dirty = self.dirty
        self._saved = self._scene if scene is None else scene
        self._merge_barrier = True
        if path is not None and Path(path) != self._path:
            self._path = Path(path)
            self.path_changed.emit(self._path)
        if was_dirty != self.dirty:
            self.dirty_changed.emit(self.dirty)

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _check_index(index: int, count: int) -> None:
        if not 0 <= index < count:
            raise IndexError(f"layer index {index} out of range 0..{count - 1}")

    @staticmethod
    def _clamp(selected: int, scene: Scene) -> int:
        return min(selected, len(scene.layers) - 1)

    def _edit(
        self, scene: Scene, label: str, key: Hashable | None, selected: int, grouped: bool = False
    ) -> None:
        notes: list[str] = []
        if self.fit is not None:
            scene, notes = self.fit(scene)
        if scene == self._scene:
            if selected != self._selected:
                self._set_selected(selected)
            return
        now = self._clock()
        top = self._undo[-1] if self._undo else None
        mergeable = (
            key is not None
            and top is not None
            and top.key == key
            and not self._redo
            and not self._merge_barrier
            and (grouped or now - top.time <= self.merge_window)
        )
        if mergeable:
            assert top is not None
            if grouped:
                top.label = label
            top.after = scene
            top.selected_after = selected
            top.time = now
            if top.after == top.before:  # typed back to where it was: no step at all
                self._undo.pop()
        else:
            self._undo.append(_Step(label, self._scene, scene, self._selected, selected, key, now))
            del self._undo[: -self._history_limit]
        self._redo.clear()
        self._merge_barrier = False
        self._apply(scene, selected)
        if notes:
            self.adjusted.emit(notes)

    def _apply(self, scene: Scene, selected: int) -> None:
        was_dirty = self.dirty
        old_selected = self._selected
        self._scene = scene
        # Set before emitting, so that listeners of ``changed`` read a valid selection.
        self._selected = self._clamp(selected, scene) if selected >= 0 else -1
        self.changed.emit(scene)
        if self._selected != old_selected:
            self._inner = -1
            self.selection_changed.emit(self._selected)
        if self.dirty != was_dirty:
            self.dirty_changed.emit(self.dirty)

    def _set_selected(self, index: int) -> None:
        if index != self._selected:
            self._selected = index
            self._inner = -1
            self.selection_changed.emit(index)
