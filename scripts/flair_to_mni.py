"""Move skull-stripped FLAIRs into MNI space, to check a model on MNI-registered scans.

Each scan's brain mask is fitted to the template brain (colin27, 1 mm MNI grid) by an
affine registration of the two smoothed masks (mean squares, SimpleITK), and the FLAIR
and its mask are resampled onto the template's grid (linear / nearest). Inputs are
folders holding ``flair.nii.gz`` and ``brainmask.nii.gz`` (the brain_flair_pool layout);
outputs go to ``--out/<folder name>/`` in the same layout. Inputs are only read.

Usage::

    python scripts/flair_to_mni.py ../shared/data/brain_flair_pool/openms_long_p04_study1 \\
        --out runs/mni [--template ../shared/data/normal_brain/colin27_t1_brain.nii.gz]
"""

from __future__ import annotations

import argparse
from pathlib import Path

TEMPLATE = Path("../shared/data/normal_brain/colin27_t1_brain.nii.gz")


def smooth_mask(mask):
    import SimpleITK as sitk

    return sitk.SmoothingRecursiveGaussian(sitk.Cast(mask > 0, sitk.sitkFloat32), 2.0)


def fit(fixed, moving):
    """Affine map of template points into the scan (moments start, three levels)."""
    import SimpleITK as sitk

    start = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.AffineTransform(3), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMeanSquares()
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.1, seed=1)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(1.0, 1e-4, 300)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2, 1])
    reg.SetSmoothingSigmasPerLevel([2, 1, 0])
    reg.SetInitialTransform(start, inPlace=False)
    return reg.Execute(fixed, moving)


def main() -> None:
    import SimpleITK as sitk

    from medssl.io import atomic_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scans", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args()
    missing = [
        str(path)
        for path in [args.template]
        + [scan / name for scan in args.scans for name in ("flair.nii.gz", "brainmask.nii.gz")]
        if not path.is_file()
    ]
    if missing:
        raise SystemExit(f"flair_to_mni: missing input file(s): {', '.join(missing)}")
    template = sitk.ReadImage(str(args.template), sitk.sitkFloat32)
    fixed = smooth_mask(template)
    for scan in args.scans:
        flair = sitk.ReadImage(str(scan / "flair.nii.gz"), sitk.sitkFloat32)
        mask = sitk.ReadImage(str(scan / "brainmask.nii.gz"), sitk.sitkUInt8)
        transform = fit(fixed, smooth_mask(mask))
        brain = sitk.Resample(mask, template, transform, sitk.sitkNearestNeighbor, 0)
        moved = sitk.Mask(sitk.Resample(flair, template, transform, sitk.sitkLinear, 0.0), brain)
        out = args.out / scan.name
        for image, name in ((moved, "flair.nii.gz"), (brain, "brainmask.nii.gz")):
            with atomic_path(out / name) as part:
                sitk.WriteImage(image, str(part))
        ml = sitk.GetArrayViewFromImage(brain).sum() / 1000.0
        print(f"{scan} -> {out}: brain {ml:.0f} cm³ on the template grid", flush=True)


if __name__ == "__main__":
    main()
