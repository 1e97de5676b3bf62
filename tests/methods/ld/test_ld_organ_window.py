"""Liver CT read relative to its liver (`normalisation: organ`): preset, training items, config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from zs_helpers import write_nifti

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.losses import compose
from medssl.methods import create_method
from medssl.methods.ld.presets import ld_preset

REPO = Path(__file__).resolve().parents[3]
SPACING = (2.0, 2.0, 2.0)


def test_organ_normalisation_swaps_the_window_for_training_and_inference():
    preset = ld_preset("liver_ct", normalisation="organ")
    assert [s["name"] for s in preset.post_steps] == ["organ_window"]
    assert preset.infer_steps[-1]["name"] == "organ_window"
    assert preset.infer_steps[-1]["low"] == -175.0 and preset.infer_steps[-1]["high"] == 250.0
    assert ld_preset("liver_ct", normalisation="window").post_steps[0]["name"] == "ct_window"
    with pytest.raises(MedsslError, match="must be one of window, organ; got 'robust'"):
        ld_preset("liver_ct", normalisation="robust")


def _ct(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fat, soft tissue and a noisy liver (label 5), in HU."""
    rng = np.random.default_rng(seed)
    shape = (30, 30, 26)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij"))
    image = np.where((grid**2).sum(0) < 0.9, 40.0, -100.0).astype(np.float32)
    liver = ((grid[0] - 0.2) ** 2 + grid[1] ** 2 + grid[2] ** 2) < 0.3
    image[liver] = 100.0
    image += rng.normal(0, 10, shape).astype(np.float32)
    return image, np.where(liver, 5, 0).astype(np.uint8)


def _records(folder: Path, scale: float, offset: float) -> list[Record]:
    image, labels = _ct(seed=0)
    affine = np.diag([*SPACING, 1.0])
    write_nifti(folder / "ct.nii.gz", image * scale + offset, affine)
    write_nifti(folder / "seg.nii.gz", labels, affine)
    return [Record("ct", folder / "ct.nii.gz", roi=folder / "seg.nii.gz")]


def _dataset(tmp_path, records, **changes):
    from medssl.config import TrainConfig

    options = {
        "preset": "liver_ct", "patch_size": 16, "cache_dir": str(tmp_path / "cache"),
        "normalisation": "organ",
        "synthesis": {"volume_range_mm3": [100.0, 1500.0], "count_range": [1, 3]},
    } | changes  # fmt: skip
    return create_method("ld", **options).make_dataset(records, TrainConfig(method="ld"), seed=2)


def test_items_are_organ_relative_and_still_decompose(tmp_path):
    ds = _dataset(tmp_path, _records(tmp_path, 1.0, 0.0))
    items = [ds[i] for i in range(6)]
    assert any(float(it["m"].sum()) > 0 for it in items)
    for item in items:
        x = compose(item["x_n"], item["s"], item["m"], item["alpha"])
        assert torch.allclose(x, item["x"], atol=1e-5)
        assert 0.0 <= float(item["x"].min()) and float(item["x"].max()) <= 1.0


def test_a_rephased_scan_gives_the_same_tumour_free_items(tmp_path):
    """The same liver scanned brighter and noisier (a linear HU map) reads the same."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    plain = _dataset(tmp_path / "a", _records(tmp_path / "a", 1.0, 0.0), empty_fraction=0.99)
    moved = _dataset(tmp_path / "b", _records(tmp_path / "b", 1.4, 35.0), empty_fraction=0.99)
    compared = 0
    for i in range(6):
        if float(plain[i]["m"].sum()) or float(moved[i]["m"].sum()):
            continue  # the rare item drawn with a tumour
        a, b = plain[i]["x"], moved[i]["x"]
        inside = (a > 0.05) & (a < 0.95)  # away from the window's clipping
        assert inside.any() and torch.allclose(a[inside], b[inside], atol=1e-4)
        compared += 1
    assert compared >= 3
    window = _dataset(tmp_path / "b", _records(tmp_path / "b", 1.4, 35.0), empty_fraction=0.99,
                      normalisation="window")  # fmt: skip
    assert not torch.allclose(window[0]["x"], moved[0]["x"], atol=1e-2)


def test_organ_window_with_the_look_after_synthesis_is_refused(tmp_path):
    with pytest.raises(MedsslError, match="after_synthesis is not supported"):
        _dataset(tmp_path, _records(tmp_path, 1.0, 0.0), randomise={"after_synthesis": True})


def test_the_organ_config_is_the_non_transductive_recipe_read_relative_to_the_liver():
    organ = yaml.safe_load((REPO / "configs" / "ld_liver_ct_organ.yaml").read_text())
    base = yaml.safe_load((REPO / "configs" / "ld_liver_ct_noircadb.yaml").read_text())
    assert organ["method_options"].pop("normalisation") == "organ"
    assert organ == base


def test_model_card_names_the_organ_window():
    from medssl.methods.ld.method import LayerDecomposition

    text = "\n".join(
        LayerDecomposition.card_lines({"preset": "liver_ct", "normalisation": "organ"})
    )
    assert "median and IQR brought to 100 and 17 HU" in text
    plain = "\n".join(LayerDecomposition.card_lines({"preset": "liver_ct"}))
    assert "fixed HU window" in plain and "IQR" not in plain
