from toonlab.config import apply_override
from toonlab.demo import demo, demo_config


def test_shipped_recipe_parses():
    cfg = demo_config()
    assert cfg.data.image_size == 128 and cfg.train.mode == "shared" and cfg.data.tasks == "all"
    assert (cfg.train.optimizer, cfg.train.weight_decay, cfg.train.label_smoothing) == ("adamw", 3, 0.1)


def test_tiny_demo_draws_trains_and_reuses_the_data(tmp_path):
    cfg = demo_config()
    for item in ("data.image_size=32", "model.widths=[8,16]", "model.stride=1", "model.head_width=32",
                 "train.epochs=1", "train.progress=false"):
        apply_override(cfg, item)
    first = demo(cfg, folder=tmp_path, n=30)
    assert len(first.metrics["tasks"]) == 18 and (first.run / "metrics.json").exists()
    again = demo(cfg, folder=tmp_path, n=30)
    assert again.data == first.data and again.run != first.run
