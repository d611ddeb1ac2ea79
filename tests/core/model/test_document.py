"""SceneDocument: edits, selection, undo/redo with merging, dirty flag. No Qt."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.document import SceneDocument
from explorer.core.model.specs import default_spec


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_doc(n: int = 2, clock: FakeClock | None = None) -> SceneDocument:
    layers = tuple(default_spec("standard", out_channels=8 + i) for i in range(n))
    return SceneDocument(Scene(layers=layers), clock=clock or FakeClock())


class Recorder:
    def __init__(self, doc: SceneDocument) -> None:
        self.changed: list[Scene] = []
        self.dirty: list[bool] = []
        self.paths: list[object] = []
        self.selection: list[int] = []
        doc.changed.connect(self.changed.append)
        doc.dirty_changed.connect(self.dirty.append)
        doc.path_changed.connect(self.paths.append)
        doc.selection_changed.connect(self.selection.append)


def test_new_document_is_clean_and_selects_first_layer():
    doc = make_doc(2)
    assert not doc.dirty and not doc.can_undo and not doc.can_redo
    assert doc.selected == 0
    assert SceneDocument().selected == -1
    assert doc.undo_label is None and doc.redo_label is None


def test_replace_layer_emits_and_labels_field():
    doc = make_doc()
    rec = Recorder(doc)
    new = doc.scene.layers[1].with_changes(kernel_size=5)
    doc.replace_layer(1, new)
    assert doc.scene.layers[1].kernel_size == (5, 5)
    assert rec.changed == [doc.scene]
    assert rec.dirty == [True]
    assert doc.undo_label == "change kernel_size"
    # Replacing by an equal spec is no edit at all.
    doc.replace_layer(1, new)
    assert len(rec.changed) == 1 and doc.undo_labels == ["change kernel_size"]


def test_kind_change_label():
    doc = make_doc()
    doc.replace_layer(0, default_spec("pointwise"))
    assert doc.undo_label == "change layer 1 to pointwise"


def test_undo_redo_restore_scene_and_dirty():
    doc = make_doc()
    original = doc.scene
    rec = Recorder(doc)
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=32))
    edited = doc.scene
    assert doc.undo()
    assert doc.scene == original and not doc.dirty
    assert doc.redo_label == "change out_channels"
    assert doc.redo()
    assert doc.scene == edited and doc.dirty
    assert rec.dirty == [True, False, True]
    assert not doc.redo()


def test_quick_edits_of_same_field_merge_but_not_after_window():
    clock = FakeClock()
    doc = make_doc(clock=clock)
    original = doc.scene
    for c in (1, 12, 128):
        clock.now += 0.3
        doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=c))
    assert doc.undo_labels == ["change out_channels"]
    clock.now += 1.5
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=64))
    assert len(doc.undo_labels) == 2
    doc.undo()
    assert doc.scene.layers[0].out_channels == 128
    doc.undo()
    assert doc.scene == original


def test_different_fields_or_layers_do_not_merge():
    doc = make_doc()
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=4))
    doc.replace_layer(0, doc.scene.layers[0].with_changes(stride=2, padding=0))
    doc.replace_layer(1, doc.scene.layers[1].with_changes(out_channels=4))
    assert len(doc.undo_labels) == 3


def test_merge_back_to_start_removes_step():
    clock = FakeClock()
    doc = make_doc(clock=clock)
    start = doc.scene.layers[0]
    doc.replace_layer(0, start.with_changes(out_channels=99))
    doc.replace_layer(0, start)
    assert not doc.can_undo and not doc.dirty


def test_save_breaks_merge_and_undo_to_saved_is_clean(tmp_path):
    doc = make_doc()
    rec = Recorder(doc)
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=3))
    doc.mark_saved(tmp_path / "a.json")
    assert not doc.dirty and doc.path == tmp_path / "a.json"
    assert rec.paths == [tmp_path / "a.json"]
    doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=4))
    assert len(doc.undo_labels) == 2  # not merged across the save
    doc.undo()
    assert not doc.dirty
    doc.undo()
    assert doc.dirty  # before the save differs from the saved scene
    assert rec.dirty == [True, False, True, False, True]


def test_insert_remove_duplicate_move_and_selection():
    doc = make_doc(3)
    a, b, c = doc.scene.layers
    rec = Recorder(doc)
    p = default_spec("pointwise", out_channels=5)
    doc.insert_layer(1, p)
    assert doc.scene.layers == (a, p, b, c) and doc.selected == 1
    assert doc.undo_label == "add pointwise layer"
    doc.select(3)
    doc.move_layer(3, 0)  # c to the front; the selection follows it
    assert doc.scene.layers == (c, a, p, b) and doc.selected == 0
    doc.select(2)
    doc.move_layer(0, 3)  # c to the end; p shifts from 2 to 1
    assert doc.scene.layers == (a, p, b, c) and doc.selected == 1
    doc.duplicate_layer(1)
    assert doc.scene.layers == (a, p, p, b, c) and doc.selected == 2
    doc.remove_layer(4)  # remove after the selection: unchanged
    assert doc.selected == 2
    doc.remove_layer(0)  # remove before the selection: it shifts
    assert doc.scene.layers == (p, p, b) and doc.selected == 1
    doc.select(2)
    doc.remove_layer(2)  # remove the last, selected: its neighbour
    assert doc.selected == 1
    assert rec.selection[-1] == 1
    for _ in range(len(doc.undo_labels)):
        doc.undo()
    assert doc.scene.layers == (a, b, c)


def test_remove_last_layer_selects_input():
    doc = make_doc(1)
    doc.remove_layer(0)
    assert doc.selected == -1 and doc.scene.layers == ()
    doc.undo()
    assert doc.selected == 0


def test_selection_is_valid_when_changed_fires():
    doc = make_doc(3)
    doc.select(2)
    seen = []
    doc.changed.connect(lambda s: seen.append((len(s.layers), doc.selected)))
    doc.remove_layer(2)
    doc.undo()
    assert all(sel < n for n, sel in seen)


def test_bad_indices_raise():
    doc = make_doc(2)
    with pytest.raises(IndexError):
        doc.replace_layer(2, default_spec("standard"))
    with pytest.raises(IndexError):
        doc.insert_layer(3, default_spec("standard"))
    with pytest.raises(IndexError):
        doc.select(5)
    with pytest.raises(IndexError):
        doc.move_layer(0, 2)


def test_input_seed_and_reset(tmp_path):
    clock = FakeClock()
    doc = make_doc(clock=clock)
    rec = Recorder(doc)
    doc.set_input(InputSpec(image="sample:cat"))
    assert doc.undo_label == "change input image"
    doc.set_input(InputSpec(image="sample:cat", mode="grayscale"))
    assert doc.undo_label == "change input"
    for s in (1, 2, 3):
        doc.set_seed(s)
    assert doc.undo_labels.count("change seed") == 1 and doc.scene.seed == 3
    doc.select(-1)
    new = Scene(layers=(default_spec("depthwise"),), seed=7)
    doc.reset(new, tmp_path / "b.json")
    assert doc.scene == new and not doc.dirty and not doc.can_undo
    assert doc.path == tmp_path / "b.json" and rec.paths[-1] == doc.path
    assert doc.selected == 0 and rec.dirty[-1] is False


def test_history_is_capped():
    doc = SceneDocument(Scene(layers=(default_spec("standard"),)), history_limit=5)
    for c in range(1, 20):
        doc.replace_layer(0, doc.scene.layers[0].with_changes(out_channels=c, groups=1), "x")
        doc.mark_saved()  # barrier: no merge
    assert len(doc.undo_labels) == 5


edit = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 5), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 5), st.sampled_from(["pointwise", "depthwise"])),
    st.tuples(st.just("remove"), st.integers(0, 5)),
    st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.just("seed"), st.integers(0, 9)),
    st.tuples(
        st.just("undo"),
    ),
    st.tuples(
        st.just("redo"),
    ),
    st.tuples(
        st.just("tick"),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(edit, max_size=25))
def test_any_edit_sequence_undoes_to_start_and_redoes_to_end(ops):
    clock = FakeClock()
    doc = make_doc(2, clock)
    start = doc.scene
    dirty_events: list[bool] = []
    doc.dirty_changed.connect(dirty_events.append)
    for op in ops:
        n = len(doc.scene.layers)
        name = op[0]
        if name == "replace" and n:
            i = op[1] % n
            spec = doc.scene.layers[i]
            if spec.has_out_channels:
                doc.replace_layer(i, spec.with_changes(out_channels=op[2]))
        elif name == "insert":
            doc.insert_layer(op[1] % (n + 1), default_spec(op[2]))
        elif name == "remove" and n:
            doc.remove_layer(op[1] % n)
        elif name == "move" and n:
            doc.move_layer(op[1] % n, op[2] % n)
        elif name == "seed":
            doc.set_seed(op[1])
        elif name == "undo":
            doc.undo()
        elif name == "redo":
            doc.redo()
        else:
            clock.now += 2.0
        assert -1 <= doc.selected < len(doc.scene.layers)
        assert doc.dirty == (doc.scene != start)
        # dirty_changed fires exactly on transitions
        assert (dirty_events[-1] if dirty_events else False) == doc.dirty
    end = doc.scene
    steps = len(doc.undo_labels)
    while doc.undo():
        pass
    assert doc.scene == start and not doc.dirty
    for _ in range(steps):
        assert doc.redo()
    assert doc.scene == end


def test_mark_saved_with_the_scene_that_was_written(tmp_path):
    """A save written on a worker marks saved the scene it wrote, not the current one."""
    doc = make_doc()
    events: list[bool] = []
    doc.dirty_changed.connect(events.append)
    doc.replace_layer(0, default_spec("pointwise", out_channels=5))
    written = doc.scene
    doc.replace_layer(1, default_spec("pointwise", out_channels=7))  # edited during the write
    doc.mark_saved(tmp_path / "a.json", written)
    assert doc.dirty and doc.path == tmp_path / "a.json" and events == [True]
    doc.undo()
    assert not doc.dirty and events == [True, False]
