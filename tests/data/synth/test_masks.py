"""synthesize(masks=True): a mask file per image, regions that make sense, determinism and reuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from toonlab.data.masks import MASKS_FILE, mask_names, mask_path, read_mask
from toonlab.data.synth import ATTRIBUTES, SynthSummary, synthesize

SEED = 0  # among its 12 faces: one without glasses, one without facial hair, one bald
EYES = "eye_angle"  # eye_angle, eye_lashes, eye_lid and eye_slant share the eye region
EMPTY_WHEN_ZERO = ("glasses", "glasses_color", "facial_hair", "hair")  # none / none / none / bald


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth") / "toons"
    return out, synthesize(out, n=12, size=128, seed=SEED, workers=1, masks=True)


def labels(png: Path) -> dict[str, int]:
    lines = png.with_suffix(".csv").read_text(encoding="utf-8").splitlines()
    return {line.split(",")[0].strip('"'): int(line.split(",")[1]) for line in lines}


def faces(out: Path):
    """(image RGBA array, labels, regions) per image."""
    for png in sorted(out.glob("*/cs*.png")):
        if not png.name.endswith(".mask.png"):
            yield np.asarray(Image.open(png)), labels(png), read_mask(png)


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_image_has_a_mask_and_the_names_are_cartoonsets(made):
    out, summary = made
    assert summary.masks and not summary.reused
    images = [p for p in out.glob("*/cs*.png") if not p.name.endswith(".mask.png")]
    assert len(images) == 12
    for png in images:
        mask = Image.open(mask_path(png))
        assert mask.mode == "RGB" and mask.size == (128, 128)
    assert json.loads((out / MASKS_FILE).read_text()) == {"format": 1, "bits": list(ATTRIBUTES), "size": 128}
    assert mask_names(out) == list(ATTRIBUTES)
    manifest = json.loads((out / "synth.json").read_text())
    assert manifest["masks"] is True and manifest["files"] == 36 and manifest["complete"] is True


def test_regions_nest_and_lie_on_the_drawing(made):
    out, _ = made
    for image, attrs, regions in faces(out):
        drawn = image[..., 3] > 0
        face = regions["face_shape"]
        for name, region in regions.items():
            assert not (region & ~drawn).any(), name
        assert regions["eye_color"].any() and not (regions["eye_color"] & ~regions[EYES]).any()
        assert not (regions[EYES] & ~face).any() and not (regions["chin_length"] & ~face).any()
        for name in ("eye_lashes", "eye_lid", "eye_slant"):
            assert (regions[name] == regions[EYES]).all()
        assert (regions["eye_eyebrow_distance"] == regions[EYES] | regions["eyebrow_shape"]).all()
        assert not (regions["eyebrow_shape"] & ~regions["hair_color"]).any()
        assert (regions["glasses"] == regions["glasses_color"]).all()
        # Tight: the irises and the eyes are a small part of the face, the jaw and chin under half of it.
        assert regions["eye_color"].sum() < 0.05 * face.sum() and regions[EYES].sum() < 0.15 * face.sum()
        assert 0.1 * face.sum() < regions["chin_length"].sum() < 0.6 * face.sum()


def test_an_attribute_that_draws_nothing_has_an_empty_region(made):
    out, _ = made
    seen = set()
    for _, attrs, regions in faces(out):
        for name in ATTRIBUTES:
            zero = {"glasses_color": "glasses"}.get(name, name)
            empty = name in EMPTY_WHEN_ZERO and attrs[zero] == 0
            assert regions[name].any() != empty, (name, attrs[zero])
            seen |= {zero} if empty else set()
    assert seen == {"glasses", "facial_hair", "hair"}  # the seed really has each case


def test_masks_are_byte_identical_whatever_the_workers(made, tmp_path):
    out, _ = made
    again = synthesize(tmp_path / "again", n=12, size=128, seed=SEED, workers=2, masks=True)
    assert all_bytes(again.out) == all_bytes(out)


def test_images_do_not_depend_on_masks(made, tmp_path):
    out, _ = made
    plain = synthesize(tmp_path / "plain", n=12, size=128, seed=SEED, workers=2)
    with_masks = {k: v for k, v in all_bytes(out).items() if not k.endswith(".mask.png") and k != MASKS_FILE}
    plain_bytes = all_bytes(plain.out)
    assert {k: v for k, v in with_masks.items() if k != "synth.json"} == {
        k: v for k, v in plain_bytes.items() if k != "synth.json"}


def test_reuse_a_set_with_masks_for_either_request_but_not_one_without(tmp_path):
    out = tmp_path / "t"
    synthesize(out, n=6, size=32, seed=1, workers=1)
    assert not list(out.glob("*/*.mask.png")) and not (out / MASKS_FILE).exists()
    upgraded = synthesize(out, n=6, size=32, seed=1, workers=1, masks=True)  # same faces: no overwrite needed
    assert not upgraded.reused and upgraded.masks
    assert len(list(out.glob("*/*.mask.png"))) == 6 and (out / MASKS_FILE).is_file()
    before = all_bytes(out)
    for masks in (True, False):
        summary = synthesize(out, n=6, size=32, seed=1, workers=1, masks=masks)
        assert summary.reused and summary.masks
    assert all_bytes(out) == before


def test_an_incomplete_mask_set_is_redrawn_and_overwrite_removes_masks(tmp_path):
    out = tmp_path / "t"
    synthesize(out, n=6, size=32, seed=1, workers=1, masks=True)
    next(out.glob("*/*.mask.png")).unlink()
    assert not synthesize(out, n=6, size=32, seed=1, workers=1, masks=True).reused
    assert len(list(out.glob("*/*.mask.png"))) == 6
    synthesize(out, n=4, size=32, seed=2, workers=1, overwrite=True)
    assert not list(out.glob("*/*.mask.png")) and not (out / MASKS_FILE).exists()
    assert len(list(out.glob("*/cs*.png"))) == 4
