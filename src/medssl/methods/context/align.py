"""Affine alignment of two scans on the context grid, for the k-NN vote's position.

The body box of a scan depends on its field of view (a 9 cm slab, an abdomen, a whole
body), so body-box coordinates of two scans agree only when their fields of view do.
:func:`align_affine` finds the map from one scan's context grid to another's with
SimpleITK, on copies averaged over the descriptor's 4³ blocks (8 mm): a search of the
cranio-caudal offset (normalised correlation, one-block steps, every offset at which
the scans overlap by at least half the shorter one), then a refinement with a rotation,
a scale per axis and a translation (``ScaleVersor3DTransform``, Mattes mutual
information, 50 iterations). Both scans are already in the context preprocessing (RAS, body crop,
soft-tissue window, 2 mm), so their axes agree and one voxel is the same length in both.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from medssl.methods.context.descriptors import STRIDE
from medssl.methods.context.prep import SPACING_MM

#: The offsets searched overlap at least this share of the shorter scan.
MIN_OVERLAP = 0.5
#: Voxel size of the copies registered (mm): one descriptor block.
BLOCK_MM = STRIDE * SPACING_MM


def _block_image(volume: np.ndarray):
    """The scan averaged over 4³ blocks, as a SimpleITK image in millimetres."""
    import SimpleITK as sitk

    t = torch.as_tensor(np.ascontiguousarray(volume, np.float32))[None, None]
    small = F.avg_pool3d(t, STRIDE, ceil_mode=True)[0, 0].numpy()
    image = sitk.GetImageFromArray(np.ascontiguousarray(small.T))
    image.SetSpacing((BLOCK_MM,) * 3)
    image.SetOrigin(((STRIDE - 1) / 2.0 * SPACING_MM,) * 3)  # centre of the first block
    return image


def _method():
    """A SimpleITK registration method: linear interpolation, every voxel sampled."""
    import SimpleITK as sitk

    method = sitk.ImageRegistrationMethod()
    method.SetInterpolator(sitk.sitkLinear)
    method.SetMetricSamplingStrategy(method.NONE)
    return method


def _z_offset(fixed, moving, start: np.ndarray, length_f: float, length_m: float) -> np.ndarray:
    """The translation (mm) with the best correlation over cranio-caudal offsets."""
    import SimpleITK as sitk

    reach = max((length_f + length_m) / 2.0 - MIN_OVERLAP * min(length_f, length_m), 0.0)
    method = _method()
    method.SetMetricAsCorrelation()
    method.SetOptimizerAsExhaustive([0, 0, int(reach // BLOCK_MM)])
    method.SetOptimizerScales([1.0, 1.0, BLOCK_MM])
    method.SetInitialTransform(sitk.TranslationTransform(3, start.tolist()), inPlace=False)
    return np.asarray(method.Execute(fixed, moving).GetParameters(), np.float64)


def _matrix(transform) -> np.ndarray:
    """The 4 x 4 homogeneous matrix of a SimpleITK transform known to be affine."""
    origin = np.asarray(transform.TransformPoint((0.0, 0.0, 0.0)))
    cols = [np.asarray(transform.TransformPoint(tuple(e))) - origin for e in np.eye(3)]
    out = np.eye(4)
    out[:3, :3] = np.stack(cols, axis=1)
    out[:3, 3] = origin
    return out


def align_affine(fixed: np.ndarray, moving: np.ndarray, *, iterations: int = 50) -> np.ndarray:
    """The affine map from ``fixed``'s context grid to ``moving``'s, in voxels.

    Args:
        fixed: A scan on the context grid (the points to map).
        moving: The reference scan on the context grid.
        iterations: Optimiser iterations of the refinement.

    Returns:
        A 4 x 4 matrix taking homogeneous voxel coordinates of ``fixed`` to those of
        ``moving``.

    Shape:
        (X, Y, Z), (X', Y', Z') → (4, 4).
    """
    import SimpleITK as sitk

    f, m = _block_image(fixed), _block_image(moving)
    size_f = (np.asarray(fixed.shape, np.float64) - 1.0) * SPACING_MM
    size_m = (np.asarray(moving.shape, np.float64) - 1.0) * SPACING_MM
    start = size_m / 2.0 - size_f / 2.0  # box centres on each other
    shift = _z_offset(f, m, start, size_f[2], size_m[2])
    transform = sitk.ScaleVersor3DTransform()
    transform.SetCenter((size_f / 2.0).tolist())
    transform.SetTranslation(shift.tolist())
    method = _method()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=1.0, minStep=1e-3, numberOfIterations=int(iterations)
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(transform, inPlace=False)
    world = _matrix(method.Execute(f, m))
    scale = np.diag([SPACING_MM, SPACING_MM, SPACING_MM, 1.0])
    return np.linalg.inv(scale) @ world @ scale
