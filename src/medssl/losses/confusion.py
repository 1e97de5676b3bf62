"""The domain-confusion loss: cross-entropy of a classifier against the uniform guess.

Tzeng et al., "Simultaneous Deep Transfer Across Domains and Tasks", ICCV 2015. The
feature extractor minimises the cross-entropy between the domain classifier's
prediction and the uniform distribution; the loss is bounded below by ``log K``
(``log 2`` for CT against MR), reached when the classifier cannot tell the domains
apart.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def confusion_loss(logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``softmax(logits)`` against the uniform distribution.

    Example:
        >>> round(float(confusion_loss(torch.zeros(4, 2))), 4)  # log 2
        0.6931

    Shape:
        ``logits``: (N, K) → a scalar.
    """
    return -F.log_softmax(logits.float(), dim=1).mean()
