"""An ld weights file carries all inference needs: it segments the same out of its run folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from zs_helpers import brain_like, write_nifti

from medssl.errors import MedsslError
from medssl.inference.ld_model import load_ld_model
from medssl.io import read_image


def _exported_run(run):
    """A run folder as 'medssl pretrain --method ld' leaves it, with a misleading config.yaml."""
    import torch

    from medssl.config import TrainConfig
    from medssl.engine.export import export_weights
    from medssl.methods import create_method

    torch.manual_seed(0)
    method = create_method("ld", patch_size=16, window=16, spacing=3.0)
    cfg = TrainConfig(method="ld", model="unet3d_tiny", model_kwargs={"base_width": 2})
    model = method.build_model(cfg)
    export_weights(
        model, method, run, arch="unet3d_tiny", config=dict(cfg.model_kwargs),
        extra={"method": "ld", "step": 1},
    )  # fmt: skip
    (run / "config.yaml").write_text("method_options:\n  preset: brain_flair\n  window: 32\n")
    return run / "model.pt"


def test_weights_copied_out_of_the_run_segment_identically(tmp_path):
    from medssl.zeroshot.segment import segment_files

    weights = _exported_run(tmp_path / "run")
    copy = tmp_path / "elsewhere" / "ld.pt"
    copy.parent.mkdir()
    shutil.copy(weights, copy)
    in_run, alone = load_ld_model(weights), load_ld_model(copy)
    assert in_run.preset == alone.preset
    assert alone.preset.window == (16, 16, 16) and alone.preset.spacing == 3.0
    image, _ = brain_like()
    scan = write_nifti(tmp_path / "scan.nii.gz", image, np.diag([-1.0, 1.0, 1.5, 1.0]))
    runs = [
        segment_files(
            [scan], tmp_path / name, model=m, threshold=0.3, save_layers=True, progress=False,
            device="cpu",
        )[0]
        for name, m in (("a", weights), ("b", copy))
    ]  # fmt: skip
    np.testing.assert_array_equal(read_image(runs[0]).array, read_image(runs[1]).array)
    np.testing.assert_array_equal(
        read_image(tmp_path / "a" / "scan_normal.nii.gz").array,
        read_image(tmp_path / "b" / "scan_normal.nii.gz").array,
    )


def test_config_yaml_beside_a_file_without_preset_is_not_read(tmp_path):
    from medssl.models import create_model, save_weights

    config = {"in_channels": 1, "out_channels": 3, "base_width": 2, "num_levels": 2}
    path = save_weights(
        tmp_path / "model.pt", create_model("unet3d_tiny", **config), arch="unet3d_tiny",
        config=config, extra={"method": "ld"},
    )  # fmt: skip
    (tmp_path / "config.yaml").write_text("method_options:\n  preset: liver_ct\n")
    with pytest.raises(MedsslError, match="records no layer-decomposition preset.*package_weights"):
        load_ld_model(path)
    from medssl.methods.ld.presets import ld_preset

    assert load_ld_model(path, preset=ld_preset("liver_ct")).preset.name == "liver_ct"


def test_stored_threshold_is_the_default(tmp_path):
    from zs_helpers import save_ld_model

    path = save_ld_model(tmp_path / "m.pt")
    _with_extra(path, tmp_path / "t.pt", threshold=0.8)
    assert load_ld_model(tmp_path / "t.pt").threshold == 0.8
    assert load_ld_model(path).threshold == 0.5


def _with_extra(path, dest, **extra):
    """A copy of the weights file ``path`` whose ``extra`` also holds ``extra``."""
    from medssl.models import load_weights, save_weights

    wf = load_weights(path)
    model = load_ld_model(path).model
    return save_weights(dest, model, arch=wf.arch, config=wf.config, extra=dict(wf.extra) | extra)


def test_packaged_threshold_is_stored_and_checked(tmp_path):
    from zs_helpers import save_ld_model

    from medssl.zeroshot.package import package_weights

    path = save_ld_model(tmp_path / "m.pt")
    out = package_weights(path, tmp_path / "p.pt", threshold=0.65)
    assert load_ld_model(out).threshold == 0.65
    assert load_ld_model(package_weights(path, tmp_path / "q.pt")).threshold == 0.5
    with pytest.raises(MedsslError, match="threshold must be in"):
        package_weights(path, tmp_path / "r.pt", threshold=1.5)


def test_packaged_grow_threshold_is_stored_and_checked(tmp_path):
    from zs_helpers import save_ld_model

    from medssl.zeroshot.package import package_weights

    path = save_ld_model(tmp_path / "m.pt")
    out = package_weights(path, tmp_path / "p.pt", threshold=0.3, grow_threshold=0.1)
    assert load_ld_model(out).grow_threshold == 0.1
    assert load_ld_model(path).grow_threshold is None
    with pytest.raises(MedsslError, match="grow threshold must be in"):
        package_weights(path, tmp_path / "r.pt", grow_threshold=0.0)
    _with_extra(path, tmp_path / "bad.pt", grow_threshold="high")
    with pytest.raises(MedsslError, match="bad.pt: stored grow threshold must be in"):
        load_ld_model(tmp_path / "bad.pt")


def test_packaged_component_filter_is_stored_and_checked(tmp_path):
    from zs_helpers import save_ld_model

    from medssl.zeroshot.package import package_weights

    path = save_ld_model(tmp_path / "m.pt")
    plain = load_ld_model(path)
    assert plain.min_volume_mm3 is None and plain.min_share == 0.0
    out = package_weights(path, tmp_path / "p.pt", min_volume_mm3=250.0, min_share=0.1)
    loaded = load_ld_model(out)
    assert loaded.min_volume_mm3 == 250.0 and loaded.min_share == 0.1
    with pytest.raises(MedsslError, match="min_share must be in"):
        package_weights(path, tmp_path / "r.pt", min_share=1.0)
    with pytest.raises(MedsslError, match="min_volume_mm3 must be >= 0"):
        package_weights(path, tmp_path / "s.pt", min_volume_mm3=-1.0)
    _with_extra(path, tmp_path / "bad.pt", min_share="most")
    with pytest.raises(MedsslError, match="bad.pt: stored min_volume_mm3 .* min_share"):
        load_ld_model(tmp_path / "bad.pt")


def test_packaged_organ_range_is_stored_and_checked(tmp_path):
    from zs_helpers import save_ld_model

    from medssl.zeroshot.package import package_weights

    path = save_ld_model(tmp_path / "m.pt")
    assert load_ld_model(path).organ_hu_range is None
    out = package_weights(path, tmp_path / "p.pt", organ_hu_range=(40, 180))
    assert load_ld_model(out).organ_hu_range == (40.0, 180.0)
    with pytest.raises(MedsslError, match="organ_hu_range must be two increasing HU"):
        package_weights(path, tmp_path / "r.pt", organ_hu_range=(180, 40))
    _with_extra(path, tmp_path / "bad.pt", organ_hu_range="wide")
    with pytest.raises(MedsslError, match="bad.pt: stored organ_hu_range"):
        load_ld_model(tmp_path / "bad.pt")
