"""The small losses the restoration and pretext methods import."""

from __future__ import annotations

import math

import pytest
import torch

from medssl.losses import classification_loss, confusion_loss, restoration_loss


def test_classification_loss_is_cross_entropy_with_accuracy():
    logits = torch.tensor([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    labels = torch.tensor([0, 1, 1])
    loss, logs = classification_loss(logits, labels)
    assert float(loss) == torch.nn.functional.cross_entropy(logits, labels).item()
    assert logs["accuracy"] == pytest.approx(2 / 3)


def test_confusion_loss_is_log_k_at_the_uniform_guess_and_larger_elsewhere():
    assert float(confusion_loss(torch.zeros(3, 2))) == pytest.approx(math.log(2))
    assert float(confusion_loss(torch.tensor([[5.0, -5.0]]))) > math.log(2) + 1


def test_restoration_loss_is_mse_of_the_sigmoid():
    logits = torch.zeros(1, 1, 2, 2, 2)
    assert float(restoration_loss(logits, torch.full_like(logits, 0.5))) == 0.0
    assert float(restoration_loss(logits, torch.ones_like(logits))) == 0.25
