"""Layer-decomposition presets and model files: round trips, lookups, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from zs_helpers import save_ld_model

from medssl.errors import MedsslError
from medssl.inference.ld_model import load_ld_model
from medssl.methods.ld.presets import LD_PRESETS, LDPreset, ld_preset, pipeline_of
from medssl.zeroshot.package import package_weights


@pytest.mark.parametrize("name", LD_PRESETS.names())
def test_presets_round_trip_and_build(name):
    preset = ld_preset(name, spacing=3.0, patch_size=32, window=[48, 48, 32])
    again = LDPreset.from_dict(preset.to_dict())
    assert again == preset and again.window == (48, 48, 32) and again.spacing == 3.0
    assert pipeline_of(preset.infer_steps).steps and pipeline_of(preset.train_steps).steps


def test_unknown_preset_lists_valid_names():
    with pytest.raises(MedsslError, match="valid names: brain_flair, liver_ct, spleen_ct"):
        ld_preset("lung_ct")


def test_bad_preset_in_weights(tmp_path):
    with pytest.raises(MedsslError, match="bad layer-decomposition preset in w.pt"):
        LDPreset.from_dict({"name": "x"}, source="w.pt")


def test_package_weights_stores_preset(tmp_path):
    source = save_ld_model(tmp_path / "run" / "model.pt", preset="liver_ct", window=32)
    shipped = package_weights(source, tmp_path / "shipped.pt")
    loaded = load_ld_model(shipped)
    assert loaded.preset.name == "liver_ct" and loaded.preset.window == (32, 32, 32)


def test_real_sample_flair_mask_stays_in_brain(tmp_path):
    from medssl.io import read_image
    from medssl.samples import sample_path
    from medssl.zeroshot.segment import segment_files

    model = save_ld_model(tmp_path / "m.pt", window=96)  # one window over the whole brain
    path = sample_path("brain_flair")
    (written,) = segment_files([path], tmp_path / "out", model=model, progress=False)
    image, mask = read_image(path), read_image(written, dtype=None)
    assert mask.geometry.matches(image.geometry)
    background = image.array == image.array.min()
    assert not np.any(mask.array[background])


def test_antialias_reaches_every_resample_step_and_round_trips():
    preset = ld_preset("liver_ct", antialias=True)
    for steps in (preset.train_steps, preset.infer_steps):
        assert [s.get("antialias") for s in steps if s["name"] == "resample"] == [True]
    assert LDPreset.from_dict(preset.to_dict()) == preset
    assert not any(s.get("antialias") for s in ld_preset("liver_ct").infer_steps)
    assert pipeline_of(preset.infer_steps).steps


def test_the_ld_method_takes_antialias_into_its_preset():
    from medssl.methods import create_method

    method = create_method("ld", preset="liver_ct", antialias=True)
    assert [s.get("antialias") for s in method.preset.infer_steps if s["name"] == "resample"] == [
        True
    ]
