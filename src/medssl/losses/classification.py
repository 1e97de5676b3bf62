"""Cross-entropy for the classification pretext tasks (rotation, jigsaw, relative position).

Taleb et al., "3D Self-Supervised Methods for Medical Imaging", NeurIPS 2020: every
pretext task is a classification of the tiles' arrangement, trained with cross-entropy.
"""

from __future__ import annotations

import torch
from torch import nn


def classification_loss(
    logits: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy and accuracy.

    Shape:
        ``logits``: (N, K); ``labels``: (N,) long.
    """
    loss = nn.functional.cross_entropy(logits.float(), labels)
    accuracy = (logits.argmax(dim=1) == labels).float().mean()
    return loss, {"ce": float(loss.detach()), "accuracy": float(accuracy)}
