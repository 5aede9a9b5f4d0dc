"""Search of per-layer init ranges (seed 004 §5.4.2): a bad layer moved into the band, ranges written as config."""

from __future__ import annotations

import time

from toonlab.config import ExperimentConfig, ModelConfig, resolve_config, save_config
from toonlab.explain.diagnose import make_probe
from toonlab.explain.tune_init import format_tune, tune_init, tune_run, write_ranges


def ignet_cfg(**kw) -> ModelConfig:
    base = {"widths": [4], "convs_per_stage": 1, "kernel_size": 3, "padding": "valid", "norm": "none",
            "activation": "identity", "pool": "none", "global_pool": "flatten", "head_depth": 0, "head_dropout": 0.0,
            "bias": False, "init": "uniform", "init_weight_range": [1.0, 1e-5], "init_bias_range": 0.0}
    return ModelConfig(**(base | kw))


def probe(size: int = 16):
    cfg = ExperimentConfig()
    cfg.data.image_size = size
    return make_probe(cfg, batch_size=16, seed=0)


def test_moves_a_vanishing_layer_into_the_band_within_the_rounds():
    start = time.perf_counter()
    result = tune_init(ignet_cfg(), probe(), band=(1e-2, 1e-1), max_rounds=20)
    assert time.perf_counter() - start < 5
    assert result.before[0].flag == "vanishing"
    assert [r.flag for r in result.after] == ["ok", "ok"] and result.unconverged == []
    assert 1 <= result.rounds <= 20
    assert result.ranges[1] > 100 * 1e-5  # the second layer's range had to grow (eq. 1a)
    assert result.bias_ranges == [0.0, 0.0] and result.start == [1.0, 1e-5]


def test_three_layers_with_a_hidden_linear_and_ratio_measure():
    cfg = ignet_cfg(widths=[4, 4], head_depth=1, head_width=8, dense_activation="identity",
                    init_weight_range=[1.0, 1.0, 1.0, 1.0])
    result = tune_init(cfg, probe(), band=(1e-2, 1e-1), measure="ratio")
    assert len(result.ranges) == 4 and result.unconverged == []
    assert all(1e-2 <= r.ratio <= 1e-1 for r in result.after)


def test_unreachable_band_says_which_layers_did_not_converge():
    result = tune_init(ignet_cfg(init="default"), probe(), band=(1e3, 1e4), max_rounds=2)
    assert result.rounds <= 2 and result.unconverged
    text = format_tune(result)
    assert "not converged" in text and all(name in text for name in result.unconverged)
    assert any("'default'" in n for n in result.notes)


def test_format_and_written_ranges_load_as_config(tmp_path):
    cfg = ExperimentConfig()
    cfg.data.image_size, cfg.model = 16, ignet_cfg()
    save_config(cfg, tmp_path / "c.yaml")
    result = tune_run(tmp_path / "c.yaml", batch_size=16, seed=0)
    text = format_tune(result)
    for name in ("backbone.stages.0.0", "heads.dummy", "vanishing", "every layer inside", "init_weight_range"):
        assert name in text
    path = write_ranges(tmp_path / "ranges.yaml", result.ranges, bias_ranges=result.bias_ranges)
    loaded = resolve_config(yaml_path=path).model
    assert (loaded.init, loaded.init_weight_range, loaded.init_bias_range) == ("uniform", result.ranges, [0.0, 0.0])
