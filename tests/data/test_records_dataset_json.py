"""MSD and nnU-Net (v1, v2) dataset.json specifications."""

from __future__ import annotations

import json

import pytest

from medssl.data import load_records
from medssl.errors import MedsslError


def test_msd_training_list(tmp_path):
    meta = {
        "modality": {"0": "FLAIR", "1": "T1w"},
        "training": [
            {"image": "./imagesTr/BRATS_001.nii.gz", "label": "./labelsTr/BRATS_001.nii.gz"},
            {"image": "./imagesTr/BRATS_002.nii.gz", "label": "./labelsTr/BRATS_002.nii.gz"},
        ],
    }
    (tmp_path / "dataset.json").write_text(json.dumps(meta))
    records = load_records(tmp_path, channel=1)
    assert [r.id for r in records] == ["BRATS_001", "BRATS_002"]
    assert records[0].image == tmp_path / "imagesTr" / "BRATS_001.nii.gz"
    assert records[0].label == tmp_path / "labelsTr" / "BRATS_001.nii.gz"
    assert records[0].modality == "T1w"


def test_nnunet_v2_folders(tmp_path, write_nifti):
    meta = {
        "channel_names": {"0": "CT"},
        "labels": {"background": 0, "liver": 1},
        "numTraining": 2,
        "file_ending": ".nii.gz",
    }
    (tmp_path / "dataset.json").write_text(json.dumps(meta))
    for case in ("liver_1", "liver_2"):
        write_nifti(tmp_path / "imagesTr" / f"{case}_0000.nii.gz")
        write_nifti(tmp_path / "labelsTr" / f"{case}.nii.gz")
    records = load_records(tmp_path / "dataset.json")
    assert [(r.id, r.label.name, r.modality) for r in records] == [
        ("liver_1", "liver_1.nii.gz", "CT"),
        ("liver_2", "liver_2.nii.gz", "CT"),
    ]


def test_nnunet_v2_dataset_mapping(tmp_path):
    meta = {
        "channel_names": {"0": "T2", "1": "ADC"},
        "file_ending": ".nii.gz",
        "dataset": {
            "p1": {"images": ["a/p1_t2.nii.gz", "a/p1_adc.nii.gz"], "label": "b/p1.nii.gz"}
        },
    }
    (tmp_path / "dataset.json").write_text(json.dumps(meta))
    record = load_records(tmp_path / "dataset.json", channel=1)[0]
    assert record.image == tmp_path / "a" / "p1_adc.nii.gz" and record.modality == "ADC"


def test_bad_json(tmp_path):
    (tmp_path / "dataset.json").write_text('{"training": [}')
    with pytest.raises(
        MedsslError, match=r"must be valid JSON; .* line 1 column \d+ of .*dataset\.json"
    ):
        load_records(tmp_path / "dataset.json")


def test_unknown_layout(tmp_path):
    (tmp_path / "dataset.json").write_text('{"name": "x"}')
    with pytest.raises(MedsslError, match="must have a 'training' list"):
        load_records(tmp_path / "dataset.json")


def test_v2_without_images(tmp_path):
    (tmp_path / "dataset.json").write_text('{"file_ending": ".nii.gz"}')
    with pytest.raises(MedsslError, match="must have an imagesTr folder"):
        load_records(tmp_path / "dataset.json")
