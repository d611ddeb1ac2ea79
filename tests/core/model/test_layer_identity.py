"""Layer identity (``LayerSpec.uid``) and the run state keyed by it."""

from __future__ import annotations

from types import SimpleNamespace

from explorer.core.analysis.costs import stack_cost
from explorer.core.io.scene import Scene, scene_from_dict, scene_to_dict
from explorer.core.model.document import SceneDocument
from explorer.core.model.run_state import RunState
from explorer.core.model.specs import DepthwiseSpec, PointwiseSpec, StandardSpec


def _doc() -> SceneDocument:
    return SceneDocument(
        Scene(
            layers=(
                StandardSpec(out_channels=4, padding=1),
                DepthwiseSpec(padding=1),
                PointwiseSpec(out_channels=2),
            )
        )
    )


def test_identity_survives_edits_and_moves_but_not_duplication():
    doc = _doc()
    uids = [s.uid for s in doc.layers]
    assert len(set(uids)) == 3
    doc.replace_layer(1, doc.layers[1].with_changes(kernel_size=5))
    assert doc.layers[1].uid == uids[1]
    doc.replace_layer(1, DepthwiseSpec(kernel_size=7, padding=3))  # a new object, same slot
    assert doc.layers[1].uid == uids[1] and doc.undo_label == "change layer 2"
    doc.undo()
    doc.move_layer(1, 2)
    assert [s.uid for s in doc.layers] == [uids[0], uids[2], uids[1]]
    doc.undo()
    assert [s.uid for s in doc.layers] == uids
    doc.duplicate_layer(0)
    assert doc.layers[1] == doc.layers[0] and doc.layers[1].uid not in uids


def test_identity_is_not_part_of_value_or_file():
    a, b = StandardSpec(), StandardSpec()
    assert a.uid != b.uid and a == b and hash(a) == hash(b) and "uid" not in repr(a)
    data = scene_to_dict(Scene(layers=(a,)))
    assert "uid" not in data["layers"][0]
    assert scene_from_dict(data).layers == (a,)


def test_run_state_never_answers_for_another_layer():
    doc = _doc()
    state = RunState()
    seen = []
    state.result_changed.connect(seen.append)
    first, second = doc.layers[0], doc.layers[1]
    state.set_result(SimpleNamespace(uid=first.uid, seconds=0.5, index=0))
    assert seen == [first.uid]
    doc.move_layer(0, 1)  # layer 2 is now at index 0: it has no result yet
    assert state.result(doc.layers[0]) is None
    assert state.result(doc.layers[1]).index == 0 and state.seconds(doc.layers[1]) == 0.5
    cost = stack_cost((3, 8, 8), doc.layers[:0] + (second, first))
    state.set_costs(doc.layers, cost)
    assert state.cost(doc.layers[0]).kind == "depthwise"
    doc.remove_layer(1)
    state.keep_only(doc.layers)
    assert state.result(first) is None


def test_run_state_times_follow_their_layer():
    doc = _doc()
    state = RunState()
    a, b, c = doc.layers
    state.set_timings(doc.layers, {0: 0.1, 1: 0.2, 5: 9.0})  # a position past the end: ignored
    assert state.timing(a) == 0.1 and state.timing(c) is None
    doc.move_layer(0, 2)
    assert state.timings_by_index(doc.layers) == {0: 0.2, 2: 0.1}
    doc.remove_layer(0)
    state.keep_only(doc.layers)
    assert state.timing(b) is None and state.timings_by_index(doc.layers) == {1: 0.1}
    state.clear()
    assert state.timings_by_index(doc.layers) == {}
