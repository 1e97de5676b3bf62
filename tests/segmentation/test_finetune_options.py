"""``medssl finetune`` options: --spacing, the modality's preset, --channel, --labels subsets,
and the --set keys it shares with ``pretrain``."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medssl.cli.main import main
from medssl.data import Record
from medssl.errors import MedsslError
from medssl.segmentation.classes import parse_classes, to_class_indices
from medssl.segmentation.preprocess_choice import check_preprocess, choose_preprocess

SHAPE = (20, 20, 16)


def _case(folder: Path, name: str, seed: int, *, ct: bool = False, channels: int = 0):
    """A blob labelled 1 (one half), 2 (other half) and an unrelated organ 5."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij")).astype(float)
    centre = np.array(SHAPE)[:, None, None, None] / 2 + rng.uniform(-2, 2, (3, 1, 1, 1))
    blob = (((grid - centre) / 4.5) ** 2).sum(0) < 1
    base, step = (-1000.0, 1060.0) if ct else (100.0, 50.0)
    body = grid[2] >= 2
    image = base + (1000.0 if ct else 0.0) * body + step * blob + rng.normal(0, 5, SHAPE)
    image = image.astype(np.float32)
    label = (blob * 2).astype(np.uint8)
    label[blob & (grid[0] > centre[0, 0])] = 1
    label[:3, :3, 2:5] = 5
    if channels:
        image = np.stack([image * (c + 1) for c in range(channels)], axis=-1)
    affine = np.diag([2.0, 2.0, 2.5, 1.0])
    img, lab = folder / f"{name}_img.nii.gz", folder / f"{name}_lab.nii.gz"
    nib.save(nib.Nifti1Image(image, affine), str(img))
    nib.save(nib.Nifti1Image(label, affine), str(lab))
    return img, lab


def _dataset(folder: Path, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["id,image,label"]
    for i in range(2):
        img, lab = _case(folder, f"c{i}", i, **kwargs)
        rows.append(f"c{i},{img.name},{lab.name}")
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    return folder / "train.csv"


def _finetune(csv: Path, out: Path, *extra: str) -> dict:
    """Run a 1-step fine-tune; return the model file's extra info."""
    from medssl.models import load_weights

    args = [
        "finetune", "--train", str(csv), "--out", str(out), "--model", "unet3d_tiny",
        "--num-workers", "0", "--steps", "1", "--batch-size", "1", "--patch", "16,16,16",
        "--precision", "fp32", "--no-augment", "--set", "progress=false",
        "--set", f"cache={out.parent / 'cache'}", *extra,
    ]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code in (0, None)
    return load_weights(out / "model.pt").extra


def _step_names(extra: dict) -> list[str]:
    return [s["name"] for s in extra["preprocess"]["steps"]]


def _step(extra: dict, name: str) -> dict:
    return next(s for s in extra["preprocess"]["steps"] if s["name"] == name)


def test_spacing_sets_the_working_resolution(tmp_path):
    csv = _dataset(tmp_path / "d")
    extra = _finetune(csv, tmp_path / "run", "--labels", "fg=1+2,organ=5", "--spacing", "3.0")
    assert "fit_grid" not in _step_names(extra)  # no rescaling after the resample
    assert np.allclose(_step(extra, "resample")["spacing"], 3.0)
    from medssl.io import read_image
    from medssl.preprocess import Pipeline

    sample = Pipeline.from_config(extra["preprocess"]).apply(
        read_image(tmp_path / "d/c0_img.nii.gz")
    )
    spacing = np.linalg.norm(np.asarray(sample.affine)[:3, :3], axis=0)
    assert np.allclose(spacing, 3.0)
    image = tmp_path / "d" / "c1_img.nii.gz"  # predicted at 3 mm, written in its own grid
    with pytest.raises(SystemExit) as exc:
        main(["predict", str(image), "--model", str(tmp_path / "run" / "model.pt"),
              "--out", str(tmp_path / "pred"), "--precision", "fp32"])  # fmt: skip
    assert exc.value.code in (0, None)
    mask = nib.load(str(tmp_path / "pred" / "c1_img.nii.gz"))
    assert mask.shape == SHAPE and np.allclose(mask.affine, nib.load(str(image)).affine)


def test_ct_data_gets_the_ct_preset_and_a_label_subset_trains_alone(tmp_path):
    csv = _dataset(tmp_path / "d", ct=True)
    extra = _finetune(csv, tmp_path / "run", "--labels", "organ=5")
    assert "ct_window" in _step_names(extra) and "zscore" not in _step_names(extra)
    assert extra["labels"] == "organ=5"


def test_modality_option_and_channel_of_4d_images(tmp_path):
    csv = _dataset(tmp_path / "d", channels=2)
    extra = _finetune(
        csv, tmp_path / "run", "--labels", "1,2", "--channel", "1", "--modality", "mr"
    )
    assert extra["channel"] == 1 and "zscore" in _step_names(extra)


def test_choose_preprocess_rules(tmp_path):
    mr = [Record("a", tmp_path / "a.nii.gz", modality="FLAIR")]
    ct = [Record("a", tmp_path / "a.nii.gz", modality="CT")]
    assert choose_preprocess({}, mr)["preset"] == "brain_flair"
    assert choose_preprocess({"grid": 64}, ct) == {
        "preset": "ct", "target_spacing": 2.0, "grid": 64,
    }  # fmt: skip
    assert choose_preprocess({}, mr, modality="ct")["preset"] == "ct"
    assert choose_preprocess({"preset": "mri"}, ct) == {"preset": "mri"}
    with pytest.raises(MedsslError, match="mixes CT and MR"):
        choose_preprocess({}, mr + [Record("b", tmp_path / "b.nii.gz", modality="CT")])
    with pytest.raises(MedsslError, match="--modality must be 'ct' or 'mr'; got 'pet'"):
        choose_preprocess({}, mr, modality="pet")
    with pytest.raises(MedsslError, match="has no option windoww"):
        check_preprocess({"preset": "ct", "windoww": [0, 1]})


def test_labels_subset_maps_the_rest_to_background():
    label = np.array([[[0, 1, 2, 5, 7]]])
    classes = to_class_indices(label, parse_classes("liver=5"), source="x")
    assert classes.tolist() == [[[0, 0, 0, 1, 0]]]
    assert to_class_indices(label, parse_classes("2,wt=5+7"), source="x").tolist() == [
        [[0, 0, 1, 2, 2]]
    ]


@pytest.mark.parametrize(
    "key, value",
    [
        ("model_kwargs.base_width", "8"),
        ("warmup_steps", "0"),
        ("grad_clip", "1.0"),
        ("optimizer", "sgd"),
        ("channels_last", "false"),
        ("deterministic", "true"),
        ("ddp_find_unused", "false"),
        ("preprocess.target_spacing", "1.5"),
    ],
)
def test_finetune_accepts_pretrain_set_keys(key, value):
    from medssl.cli.finetune import _split_config
    from medssl.config import parse_overrides

    ft, tr = _split_config(None, parse_overrides([f"{key}={value}"]))
    head, _, rest = key.partition(".")
    target = ft if hasattr(ft, head) else tr
    got = getattr(target, head)[rest] if rest else getattr(target, head)
    assert str(got).lower() == value.lower() or got == float(value)


def test_every_train_config_key_is_accepted_or_named_as_pretraining_only():
    import dataclasses

    from medssl.cli.finetune import PRETRAIN_ONLY, _split_config
    from medssl.config import TrainConfig

    for field in dataclasses.fields(TrainConfig):
        default = getattr(TrainConfig(), field.name)
        if field.name in PRETRAIN_ONLY:
            with pytest.raises(MedsslError, match="pre-training option"):
                _split_config(None, {field.name: default})
        else:
            _split_config(None, {field.name: default})


@pytest.mark.slow
def test_liver_alone_from_the_shipped_totalsegmentator_map(tmp_path):
    """The shipped CT and its multi-organ map: --labels liver=5 trains with the CT preset."""
    from medssl.io import read_label
    from medssl.samples import sample_path

    organs = read_label(sample_path("ct_label")).array
    assert 5 in organs and len(set(np.unique(organs)) - {0, 5}) > 1  # other organs present
    csv = tmp_path / "ct.csv"
    csv.write_text(f"id,image,label\nct,{sample_path('ct')},{sample_path('ct_label')}\n")
    extra = _finetune(csv, tmp_path / "run", "--labels", "liver=5", "--grid", "32")
    assert "ct_window" in _step_names(extra) and extra["labels"] == "liver=5"
