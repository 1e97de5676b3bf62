"""The liver CT configs: valid options, ircadb_p1 only where meant, livers-only ROI specs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from medssl.data import load_records
from medssl.methods import create_method

REPO = Path(__file__).resolve().parents[3]
CONFIGS = (
    "ld_liver_ct", "ld_liver_ct_noircadb", "ld_liver_ct_2livers", "ld_liver_ct_organ",
    "ld_liver_ct_enhanced", "ld_liver_ct_relative",
)  # fmt: skip


def _config(name: str) -> dict:
    return yaml.safe_load((REPO / "configs" / f"{name}.yaml").read_text())


def _rows(name: str) -> list[dict[str, str]]:
    (spec,) = _config(name)["data"]
    with open(REPO / spec, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", CONFIGS)
def test_options_build_the_method_with_ct_randomisation_and_the_paper_tumours(name):
    cfg = _config(name)
    method = create_method(cfg["method"], **cfg["method_options"])
    assert method.preset.name == "liver_ct" and method.randomisation is not None
    assert method.randomisation.phase and method.randomisation.noise
    syn = cfg["method_options"]["synthesis"]
    assert syn["count_range"] == [1, 15] and syn["radius_fraction_range"] == [0.125, 0.5]
    assert syn["intensity_ratio_range"] == [0.125, 0.5] and syn["density_variants"] is True
    assert cfg["method_options"]["texture_data"]["preset"] == "spleen_ct"


def test_ircadb_is_filled_label_free_and_read_for_its_liver_only():
    rows = {row["id"]: row for row in _rows("ld_liver_ct")}
    assert set(rows) == {"totalseg_ct", "ircadb_p1"}
    assert rows["ircadb_p1"]["roi"].endswith("MASKS_DICOM.zip::liver=5")  # no tumour masks
    assert rows["totalseg_ct"]["roi"].endswith("seg_predicted.nii.gz")
    options = _config("ld_liver_ct")["method_options"]
    assert options["lesion_fill"] is True and options["lesion_fill_ids"] == ["ircadb_p1"]


def test_the_non_transductive_config_never_reads_ircadb():
    text = (REPO / "configs" / "ld_liver_ct_noircadb.yaml").read_text()
    rows = _rows("ld_liver_ct_noircadb")
    assert [row["id"] for row in rows] == ["totalseg_ct"]
    assert all("ircadb" not in cell for row in rows for cell in row.values())
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "ircadb" not in body.replace("_noircadb", "")


def test_the_two_liver_config_never_reads_ircadb_and_fills_only_spleen_8():
    text = (REPO / "configs" / "ld_liver_ct_2livers.yaml").read_text()
    rows = {row["id"]: row for row in _rows("ld_liver_ct_2livers")}
    assert set(rows) == {"totalseg_ct", "spleen_8"}
    assert rows["spleen_8"]["roi"].endswith("runs/data/spleen8_liver.nii.gz")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "ircadb" not in body
    options = _config("ld_liver_ct_2livers")["method_options"]
    assert options["lesion_fill_ids"] == ["spleen_8"] and options["empty_fraction"] == 0.25


def test_the_configs_read_the_shared_livers(shared_data, monkeypatch, tmp_path):
    """Both normal-liver lists load from ../shared/data; only ircadb_p1 gets the fill."""
    if not (REPO.parent / "shared" / "data" / "body" / "ircadb_p1").is_dir():
        pytest.skip("the configs' data path ../shared/data/body/ircadb_p1 is not there")
    from medssl.config import TrainConfig

    monkeypatch.chdir(REPO)
    cfg = _config("ld_liver_ct")
    options = cfg["method_options"] | {"cache_dir": str(tmp_path / "cache"), "val_samples": 1}
    method = create_method("ld", **options)
    records = load_records(cfg["data"][0])
    ds = method.make_dataset(records, TrainConfig(method="ld"), seed=0)
    filled = {v.id: v.raw is not None for v in ds.volumes}
    assert filled == {"totalseg_ct": False, "ircadb_p1": True} and len(ds.textures) == 1
    item = ds[0]
    assert item["x"].shape == (1, 64, 64, 64)
    assert 0.0 <= float(item["x"].min()) and float(item["x"].max()) <= 1.0


def test_the_shipped_recipe_is_the_enhanced_one_read_relative_to_the_liver():
    relative, enhanced = _config("ld_liver_ct_relative"), _config("ld_liver_ct_enhanced")
    options = dict(relative["method_options"])
    assert options.pop("normalisation") == "organ"
    assert options == enhanced["method_options"] and "normalisation" not in options
    assert _rows("ld_liver_ct_relative") == _rows("ld_liver_ct_noircadb")  # never ircadb_p1
    assert "init" not in relative  # the command names it: a fresh clone loads the config
    method = create_method(relative["method"], **relative["method_options"])
    assert any(s["name"] == "organ_window" for s in method.preset.infer_steps)
