"""Memory guards on the command line's paths that build layers outside a run (issue 16)."""

from __future__ import annotations

import json


def test_stats_refuses_to_build_weights_beyond_the_limit(cli_main, tmp_path, monkeypatch):
    """``stats`` builds a scene with checkpoint weights to check them: a stack whose weights
    do not fit is refused in one line instead of being built (issue 16)."""
    import torch

    from explorer.core.analysis.memory import ENV_VAR

    torch.save({"w": torch.zeros(4, 3, 1, 1)}, tmp_path / "ck.pt")
    doc = {
        "format": "conv-explorer-scene",
        "version": 1,
        "input": {"shape": [3, 8, 8]},
        "layers": [
            {
                "kind": "pointwise",
                "out_channels": 4,
                "weights": {"weight": {"checkpoint": "ck.pt", "key": "w"}},
            },
            {"kind": "standard", "out_channels": 2048, "kernel_size": 11, "padding": 5},
        ],
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv(ENV_VAR, "64")  # 2048·4·121 weights need 2 × 4 MB: under 64 MiB
    code, stdout, err = cli_main("stats", path, "--json")
    assert code == 0, err
    monkeypatch.setenv(ENV_VAR, "4")
    code, stdout, err = cli_main("stats", path, "--json")
    assert code == 2 and not stdout
    assert err.count("\n") == 1 and "building this stack's 993,296 weights" in err, err
