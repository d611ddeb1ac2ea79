"""The weight reader waits for a quiet moment: a burst of edits (a slider drag) makes one
read of the final scene, not one worker job per step (issue 13, drag frame rate)."""

from __future__ import annotations

from explorer.core.io.scene import InputSpec, Scene
from explorer.core.model.specs import default_spec
from explorer.ui.tools.weights.weight_reader import PREFETCH_DELAY_MS


def test_a_burst_of_edits_reads_the_weights_once_after_it(make_window, qtbot):
    scene = Scene(
        input=InputSpec(shape=(3, 16, 16)),
        layers=(
            default_spec("standard", out_channels=4),
            default_spec("pointwise", out_channels=5),
        ),
        seed=3,
    )
    window = make_window(scene)
    doc = window.document
    reader = window.tools["weight_tools"].reader
    doc.select(1)
    qtbot.waitUntil(lambda: reader.ready(doc.scene, 1), timeout=10000)
    submitted: list[object] = []
    submit = reader._runner.submit

    def counting(func, *args, **kwargs):
        submitted.append(args[0])  # the scene asked for
        return submit(func, *args, **kwargs)

    reader._runner.submit = counting
    for channels in range(6, 12):  # quicker than the quiet time
        doc.replace_layer(1, doc.layers[1].with_changes(out_channels=channels))
        qtbot.wait(PREFETCH_DELAY_MS // 12)
    assert submitted == []  # nothing read during the burst
    qtbot.waitUntil(lambda: reader.ready(doc.scene, 1), timeout=10000)
    assert submitted == [doc.scene]  # one read, of the final scene
    c_in, weights = reader.weights(doc.scene, 1)
    assert c_in == 4 and weights["weight"].shape == (11, 4, 1, 1)
