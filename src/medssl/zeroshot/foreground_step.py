"""A preprocessing step that makes the image foreground the ROI when none is given.

Skull-stripped brain scans store the background as 0, or, after a normalisation, as
one constant value (BraTS FLAIR z-scored inside the brain keeps its background at a
negative constant). :func:`medssl.zeroshot.threshold.foreground` finds the brain in
both cases; this step puts it in ``State.roi`` so that the ROI-based crop and z-score
steps of :mod:`medssl.preprocess` use it. A given ROI (a brain mask) is kept as is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from medssl.errors import MedsslError
from medssl.preprocess.step import State, Step, register_step
from medssl.zeroshot.threshold import foreground


@register_step
@dataclass(frozen=True)
class ForegroundROI(Step):
    """Set ``roi`` to the image foreground unless an ROI was given.

    Moves no voxel, so its inverse is the identity.

    Raises:
        MedsslError: If the image has no foreground voxel.
    """

    name = "foreground_roi"

    def apply(self, state: State) -> tuple[State, dict[str, Any]]:
        if state.roi is not None:
            return state, {"step": self.name, "given": True}
        roi = foreground(state.image)
        if not roi.any():
            raise MedsslError(f"image has no foreground (non-background) voxels: {state.source}")
        new = dataclasses.replace(state, roi=roi.astype(np.uint8), roi_source=state.source)
        return new, {"step": self.name, "given": False, "voxels": int(roi.sum())}
