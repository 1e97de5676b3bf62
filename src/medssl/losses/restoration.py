"""The restoration loss of Models Genesis and SAR.

Zhou et al., "Models Genesis", Medical Image Analysis 2021: the network restores the
original sub-volume (intensities in [0, 1]) from a corrupted one; the loss is the mean
squared error of its sigmoid output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def restoration_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error between ``sigmoid(logits)`` and the original sub-volume.

    Shape:
        ``logits``, ``target``: (N, 1, X, Y, Z).
    """
    return F.mse_loss(torch.sigmoid(logits.float()), target.float())
