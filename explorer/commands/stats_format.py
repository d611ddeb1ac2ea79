"""What ``conv-explorer stats`` prints: the scene's costs as a dict (``--json``) and as a
table, with the counting conventions stated (moved out of :mod:`explorer.cli`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.core.text import bytes_text, separable_ratio_parts, shape_text, times_fewer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from explorer.core.analysis.costs import Comparison, StackCost
    from explorer.core.io.scene import Scene

__all__ = ["CONVENTIONS", "stats_dict", "stats_table"]

#: The counting conventions, stated with every count (see docs/cli.md).
CONVENTIONS = {
    "params": "every learnable parameter: conv weights, biases, BatchNorm gamma and beta",
    "macs": "multiply-accumulates of the convolutions only, per convolution "
    "H_out*W_out*C_out*(C_in/groups)*kh*kw; bias additions, BatchNorm and activations are not "
    "counted (other tools differ: see 'as_other_tools_count')",
    "flops": "2 × MACs (torch FlopCounterMode convention); bias additions counted separately",
}


def _input_source(scene: Scene) -> str:
    spec = scene.input
    if spec.shape is not None:
        return f"random tensor (seed {scene.seed})"
    if spec.image is None:
        from explorer.core.io.samples import DEFAULT_SAMPLE, SAMPLE_PREFIX

        return f"{SAMPLE_PREFIX}{DEFAULT_SAMPLE} (the default sample)"
    return spec.image


def _comparison_dict(comp: Comparison, layers: Sequence[Any]) -> dict:
    first, c_out = layers[comp.layers[0]], layers[comp.layers[-1]].out_channels
    k, m = first.kernel_size, first.multiplier
    formula = separable_ratio_parts(c_out, k, m)[1]
    return {
        "layers": list(comp.layers),
        "kernel_size": list(k),
        "in_channels": comp.standard.input_shape[0],
        "out_channels": c_out,
        "separable_params": comp.separable_params,
        "separable_macs": comp.separable_macs,
        "standard_params": comp.standard.params,
        "standard_macs": comp.standard.macs,
        "standard_flops": comp.standard.flops,
        "macs_ratio": comp.macs_ratio,
        "params_ratio": comp.params_ratio,
        "formula": formula,
        "formula_ratio": comp.formula_ratio,
    }


def stats_dict(scene: Scene, cost: StackCost) -> dict:
    """The JSON object printed by ``conv-explorer stats --json``."""
    from explorer.core.analysis.costs import find_comparisons
    from explorer.core.analysis.tool_counts import tool_counts

    return {
        "title": scene.title,
        "input": {"shape": list(cost.input_shape), "source": _input_source(scene)},
        "layers": [c.as_dict() for c in cost.layers],
        "output_shape": list(cost.output_shape),
        "total": cost.total_dict(),
        "conventions": dict(CONVENTIONS),
        "as_other_tools_count": [
            {"tool": c.tool, "value": c.value, "label": c.label, "means": c.means, "why": c.why}
            for c in tool_counts(cost, scene.layers)
        ],
        "comparisons": [
            _comparison_dict(c, scene.layers) for c in find_comparisons(scene.layers, cost)
        ],
    }


def stats_table(data: dict) -> str:
    """The readable form of :func:`stats_dict`: an aligned table, totals, conventions."""
    timed = "timing" in data
    head = ("#", "kind", "input", "output", "params", "MACs", "FLOPs", "bias adds") + (
        ("time (ms)",) if timed else ()
    )
    rows = [
        (
            str(c["index"] + 1),
            c["kind"],
            shape_text(c["input_shape"]),
            shape_text(c["output_shape"]),
            f"{c['params']:,}",
            f"{c['macs']:,}",
            f"{c['flops']:,}",
            f"{c['bias_adds']:,}",
        )
        + ((f"{c['time_ms']:.3f} ±{(c['time']['q3'] - c['time']['q1']) / 2:.3f}",) if timed else ())
        for c in data["layers"]
    ]
    t = data["total"]
    total = (
        "",
        "total",
        shape_text(data["input"]["shape"]),
        shape_text(data["output_shape"]),
        f"{t['params']:,}",
        f"{t['macs']:,}",
        f"{t['flops']:,}",
        f"{t['bias_adds']:,}",
    ) + ((f"{t['time_ms']:.3f}",) if timed else ())
    widths = [max(len(r[i]) for r in [head, *rows, total]) for i in range(len(head))]
    left = {1, 2, 3}

    def line(row: Sequence[str]) -> str:
        cells = [
            v.ljust(w) if i in left else v.rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = []
    if data["title"]:
        out.append(data["title"])
    out.append(f"input {shape_text(data['input']['shape'])} from {data['input']['source']}")
    out += ["", line(head), rule, *(line(r) for r in rows), rule, line(total), ""]
    if t.get("elementwise"):
        out.append(
            f"element-wise work, not in MACs (pooling reads, skip adds, SE multiplies): "
            f"{t['elementwise']:,}"
        )
    out.append(f"activations (float32, input and all outputs): {bytes_text(t['activation_bytes'])}")
    if "memory" in data:
        need, limit = data["memory"]["run_bytes"], data["memory"]["limit_bytes"]
        verdict = "within" if need <= limit else "MORE than"
        out.append(
            f"memory to run it: about {bytes_text(need)}, {verdict} the limit of "
            f"{bytes_text(limit)}"
            + (
                ""
                if need <= limit
                else " (render and the window refuse to run it; set CONV_EXPLORER_MEMORY_LIMIT_MB)"
            )
        )
    conv = data["conventions"]
    out.append(f"MACs: {conv['macs']}; FLOPs = {conv['flops']}.")
    if timed:
        out.append(f"time: {data['timing']['method']}; ± is half the interquartile range.")
    out.append(
        "as other tools count it (batch 1): "
        + "; ".join(
            f"{c['tool'].split()[0]} {c['value']:,} {c['label']} ({c['why']})"
            for c in data["as_other_tools_count"]
        )
    )
    for c in data["comparisons"]:
        which = (
            "layer"
            + "s" * (len(c["layers"]) > 1)
            + " "
            + " + ".join(str(i + 1) for i in c["layers"])
        )
        k = shape_text(c["kernel_size"])
        out.append(
            f"{which} (depthwise-separable {k}, {c['in_channels']}→{c['out_channels']}) "
            f"vs a standard {k} conv: {c['separable_macs']:,} / {c['standard_macs']:,} MACs "
            f"= {c['macs_ratio']:.3f} ({times_fewer(c['macs_ratio'])}), params "
            f"{c['separable_params']:,} / {c['standard_params']:,} = {c['params_ratio']:.3f}; "
            f"formula {c['formula']} = {c['formula_ratio']:.3f}"
        )
    return "\n".join(out)
