import numpy as np
import pytest

from toonlab.cli import main
from toonlab.data.cache import build_cache
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.ship import (
    Predictions,
    format_predictions,
    load_networks,
    predict_images,
    write_predictions_csv,
)
from toonlab.inference.networks import shared_preprocessing
from toonlab.testing import read_csv


@pytest.mark.parametrize("kind", ["shared", "separate", "grey"])
def test_predictions_match_the_runs_own_predictions_csv(runs, toy, kind):
    run = runs(kind)
    rows = read_csv(run / "predictions.csv")
    preds = predict_images(run, [toy / r["file"] for r in rows], batch_size=5)
    assert preds.files == [str(toy / r["file"]) for r in rows] and not preds.failures
    for name, spec in preds.tasks.items():
        if spec.is_regression:
            want = np.array([float(r[f"{name}_pred"]) for r in rows])
            np.testing.assert_allclose(preds.outputs[name], want, rtol=1e-3)  # the CSV keeps 4 digits
            continue
        assert preds.labels(name) == [r[f"{name}_pred"] for r in rows]
        best = preds.outputs[name].max(1)
        np.testing.assert_allclose(best, [float(r[f"{name}_prob"]) for r in rows], atol=5.1e-5)


def test_decoding_is_the_training_cache(runs, toy):
    run = runs("grey")
    prep = shared_preprocessing(load_networks(run))
    paths = sorted(toy.rglob("*.png"))[:6]
    cache = build_cache(paths, size=prep.image_size, background=prep.background, grayscale=prep.grayscale, workers=1)
    assert prep.grayscale and prep.background == "royalblue"
    np.testing.assert_array_equal(np.stack([prep.decode(p) for p in paths]), cache.images)


def test_folders_are_searched_recursively_and_broken_files_reported(runs, toy, tmp_path, capsys):
    folder = tmp_path / "in"
    (folder / "deep" / "er").mkdir(parents=True)
    for i, png in enumerate(sorted(toy.rglob("*.png"))[:3]):
        (folder / ("deep/er" if i else ".") / png.name).write_bytes(png.read_bytes())
    (folder / "deep" / "broken.png").write_bytes(b"not a png")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("not an image, not listed")
    out = tmp_path / "preds.csv"
    assert main(["predict", str(runs("shared")), str(folder), "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert "broken.png: not an image PIL can read" in err and "empty.jpg: empty file (0 bytes)" in err
    table = read_csv(out)
    assert [r["file"].split("/")[-1] for r in table][-2:] == ["broken.png", "empty.jpg"]
    good = [r for r in table if not r["error"]]
    assert len(good) == 3 and all(r["color"] in ("0", "1", "2") and 0 < float(r["color_prob"]) <= 1 for r in good)
    assert printed.splitlines()[0].split() == ["file", "color", "size"] and "notes.txt" not in printed


def test_csv_columns_with_top_k_and_regression(runs, toy, tmp_path, capsys):
    out = tmp_path / "p.csv"
    image = next(toy.rglob("*.png"))
    assert main(["predict", str(runs("separate")), str(image), "--out", str(out), "--top", "3", "-q"]) == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header == ["file", "color", "color_prob", "color_top2", "color_top2_prob", "color_top3",
                      "color_top3_prob", "size", "error"]
    row = read_csv(out)[0]
    probs = [float(row[c]) for c in ("color_prob", "color_top2_prob", "color_top3_prob")]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-3
    value = predict_images(runs("separate"), [image]).outputs["size"][0]
    assert float(row["size"]) == pytest.approx(value, rel=1e-5)  # regression: the value, no probability column
    assert capsys.readouterr().out.count(", ") == 2  # three classes in the color cell of the table


def test_a_k_fold_folder_averages_its_members(runs, toy):
    parent = runs("folds")
    images = sorted(toy.rglob("*.png"))[:4]
    both = predict_images(parent, images)
    members = [predict_images(parent / f"fold-{k}", images) for k in (1, 2)]
    assert both.members == 2
    for name in both.tasks:
        np.testing.assert_allclose(both.outputs[name], (members[0].outputs[name] + members[1].outputs[name]) / 2,
                                   atol=1e-6)


def test_table_and_top_from_hand_set_outputs(tmp_path):
    tasks = {"hair": TaskSpec("hair", classes=("blond", "red", "black")), "age": TaskSpec("age", kind="regression")}
    preds = Predictions(["a.png", "b.png"], tasks, {"hair": np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]),
                                                    "age": np.array([31.25, 7.0])})
    assert preds.labels("hair") == ["red", "blond"]
    assert format_predictions(preds, top=2).splitlines()[2].split() == ["a.png", "red", "0.500,", "black", "0.300",
                                                                        "31.25"]
    write_predictions_csv(preds, tmp_path / "p.csv")
    assert read_csv(tmp_path / "p.csv")[1] == {"file": "b.png", "hair": "blond", "hair_prob": "0.6000", "age": "7",
                                               "error": ""}


@pytest.mark.parametrize("images, message", [
    (["{tmp}/nowhere"], "No image file or folder"),
    (["{tmp}/empty_dir"], "No images found"),
    (["{tmp}/bad.png"], "None of the 1 image(s) could be read"),
])
def test_user_mistakes(runs, tmp_path, images, message):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "bad.png").write_text("nope")
    with pytest.raises(ToonlabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        predict_images(runs("shared"), [i.replace("{tmp}", str(tmp_path)) for i in images])


def test_cli_refuses_bad_top(runs, toy, capsys):
    assert main(["predict", str(runs("shared")), str(toy), "--top", "0"]) == 2
    assert "--top must be a whole number" in capsys.readouterr().err
