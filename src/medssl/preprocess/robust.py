"""Robust statistics inside a region: the median/IQR z-score of the CT baselines.

:func:`robust_zscore` standardises with the region's median and its interquartile
range scaled by 1/1.349 (the IQR of a normal distribution is 1.349 standard
deviations), so that a minority of abnormal voxels (tumours) barely moves the
reference. Used by the CT z-score baseline (:mod:`medssl.inference.ct_zscore`) and
the CT lesion fill (:mod:`medssl.methods.ld.ct_lesion_fill`).
"""

from __future__ import annotations

import numpy as np

from medssl.errors import MedsslError

#: Side of the median filter applied to CT before the z-score, voxels.
MEDIAN_SIZE = 3
#: IQR of a standard normal distribution.
IQR_PER_SD = 1.349


def robust_zscore(values: np.ndarray, inside: np.ndarray, *, source: str | None = None):
    """``(values - median) / (IQR / 1.349)`` with the median and IQR of ``values[inside]``.

    Raises:
        MedsslError: An empty region or one of constant intensity.

    Shape:
        ``values``, ``inside`` and the result: the same (X, Y, Z).
    """
    region = np.asarray(values, np.float64)[inside]
    if region.size == 0:
        raise MedsslError(f"the organ ROI is empty ({source})")
    q1, median, q3 = np.percentile(region, [25, 50, 75])
    sd = (q3 - q1) / IQR_PER_SD
    if not sd > 0:
        raise MedsslError(
            f"the organ ROI of {source} has constant intensity (interquartile range 0); "
            "no z-score possible"
        )
    return ((np.asarray(values, np.float64) - median) / sd).astype(np.float32)
