"""``SceneDocument.set_scene(..., group=...)``: a long live edit (a fit) is one undo step."""

from __future__ import annotations

from dataclasses import replace

from explorer.core.io.scene import Scene
from explorer.core.model.document import SceneDocument


def test_grouped_changes_are_one_step_however_far_apart():
    now = [0.0]
    doc = SceneDocument(Scene(seed=0), clock=lambda: now[0])
    token = object()
    for seed in (1, 2, 3):
        now[0] += 60.0  # far beyond the merge window
        doc.set_scene(replace(doc.scene, seed=seed), f"fit {seed}", group=token)
    assert doc.undo_labels == ["fit 3"]
    doc.undo()
    assert doc.scene.seed == 0
    doc.redo()
    assert doc.scene.seed == 3


def test_a_new_group_or_another_edit_starts_a_new_step():
    doc = SceneDocument(Scene(seed=0))
    a, b = object(), object()
    doc.set_scene(replace(doc.scene, seed=1), "fit a", group=a)
    doc.set_scene(replace(doc.scene, seed=2), "fit b", group=b)
    doc.set_seed(9)
    doc.set_scene(replace(doc.scene, seed=3), "fit b again", group=b)
    assert doc.undo_labels == ["fit a", "fit b", "change seed", "fit b again"]


def test_a_group_that_comes_back_to_the_start_leaves_no_step():
    doc = SceneDocument(Scene(seed=0))
    token = object()
    doc.set_scene(replace(doc.scene, seed=1), "fit", group=token)
    doc.set_scene(replace(doc.scene, seed=0), "fit", group=token)
    assert not doc.can_undo and not doc.dirty
