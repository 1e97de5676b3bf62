"""Label-free removal of hypo-dense lesions from CT organs (medssl.methods.ld.ct_lesion_fill)."""

from __future__ import annotations

import numpy as np
import pytest
from ct_helpers import abdomen
from scipy import ndimage
from zs_helpers import write_nifti

from medssl.data import Record
from medssl.errors import MedsslError
from medssl.methods import create_method
from medssl.methods.ld.ct_lesion_fill import (
    ct_lesion_fill_options,
    remove_ct_lesions,
    suspect_hypodense,
)

SPACING = (2.0, 2.0, 2.5)


def test_finds_the_hypodense_blob_and_fills_it_with_liver():
    image, organs, tumour = abdomen()
    liver = organs == 5
    filled, suspect = remove_ct_lesions(image, liver, SPACING, rng=np.random.default_rng(0))
    assert not suspect[~liver].any()
    assert np.count_nonzero(suspect & tumour) > 0.8 * np.count_nonzero(tumour)
    healthy = liver & ~suspect
    assert abs(float(np.median(filled[tumour])) - float(np.median(image[healthy]))) < 10.0
    assert float(np.median(image[tumour])) < float(np.median(image[healthy])) - 40.0
    far = ~ndimage.binary_dilation(suspect, iterations=4)
    np.testing.assert_allclose(filled[far], image[far], atol=0.5)


def test_tumour_free_organ_is_left_almost_untouched():
    image, organs, tumour = abdomen()
    liver = organs == 5
    with_tumour = np.count_nonzero(suspect_hypodense(image, liver, SPACING))
    image = np.where(tumour, image + 55.0, image)  # the blob back at the liver's density
    without = np.count_nonzero(suspect_hypodense(image, liver, SPACING))
    assert without < 0.15 * np.count_nonzero(liver)  # a few dark texture spots
    assert with_tumour - without > 0.9 * np.count_nonzero(tumour)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"k": 1.0}, "unknown CT lesion_fill option"),
        ({"grow_z": 4.0}, "grow_z <= seed_z"),
        ({"min_mm3": -1.0}, ">= 0"),
    ],
)
def test_bad_options(options, match):
    with pytest.raises(MedsslError, match=match):
        ct_lesion_fill_options(options)
    assert ct_lesion_fill_options(None) is None
    assert ct_lesion_fill_options(True)["seed_z"] > 0


def test_liver_preset_fills_its_normal_volumes(tmp_path):
    from medssl.config import TrainConfig

    image, organs, _ = abdomen(seed=3)
    affine = np.diag([*SPACING, 1.0])
    ct = write_nifti(tmp_path / "ct.nii.gz", image, affine)
    seg = write_nifti(tmp_path / "seg.nii.gz", organs, affine)
    records = [Record("ct", ct, roi=seg, label=tmp_path / "never_read.nii.gz")]
    options = {"preset": "liver_ct", "patch_size": 16, "cache_dir": str(tmp_path / "c")}
    with pytest.raises(MedsslError, match="unknown CT lesion_fill option"):
        create_method("ld", **options, lesion_fill={"max_mirrored": 0.5})
    method = create_method("ld", **options, lesion_fill=True, val_samples=1)
    ds = method.make_dataset(records, TrainConfig(method="ld", model="unet3d_tiny"), 0)
    (volume,) = ds.volumes
    assert volume.raw is not None
    changed = np.abs(volume.raw - volume.image) > 1.0
    assert changed.any() and not changed[~volume.roi].any()
    assert float(volume.image[changed].mean()) > float(volume.raw[changed].mean())
