"""Supervised segmentation as a Method, so fine-tuning runs through the same Trainer.

The network is any registered segmentation model (``unet3d``, ``segnet``); its encoder
(and, optionally, its decoder) start from pretrained weights. The loss is MONAI's
Dice + cross-entropy. ``validate`` predicts every validation case with a sliding window
and returns ``val_loss = 1 − mean foreground Dice``, which selects ``best.pt``: the
choice is made on the validation split only, never on test data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from medssl.errors import MedsslError
from medssl.methods.base import Method
from medssl.segmentation.augment import AugmentConfig
from medssl.segmentation.patches import PatchDataset


@dataclass
class Case:
    """A preprocessed case held in memory. image: (C, X, Y, Z); classes: (X, Y, Z)."""

    name: str
    image: np.ndarray
    classes: np.ndarray


def dice_per_class(pred: np.ndarray, ref: np.ndarray, n_classes: int) -> list[float]:
    """Dice of classes 1..n_classes-1, with medssl.evaluation's empty-mask rules."""
    from medssl.evaluation.overlap import confusion_counts, dice_from_counts

    return [dice_from_counts(confusion_counts(pred == k, ref == k)) for k in range(1, n_classes)]


class SupervisedSegmentation(Method):
    """Fine-tuning task: patches + Dice/CE, validated by sliding-window Dice.

    Args:
        train: Training cases.
        val: Validation cases (may be empty: then no ``best.pt`` is selected).
        n_classes: Classes including background.
        patch: Training patch (and inference window) size.
        pretrained: Weights file to start from, or None for random initialisation.
        init: ``"encoder"`` (decoder random) or ``"encoder+decoder"``.
        augment: Augmentation config, or None.
        foreground_fraction: Share of patches centred on foreground.
        pad: Allow patches larger than a volume.
        in_channels: Image channels.
        val_overlap: Sliding-window overlap of validation.
        metadata: Plain data written into ``model.pt`` and ``encoder.pt`` (what
            ``medssl predict`` needs: labels, preprocessing, patch, channel).
    """

    name = "finetune"
    export_checkpoint = "best"

    def __init__(
        self,
        *,
        train: Sequence[Case],
        val: Sequence[Case],
        n_classes: int,
        patch: Sequence[int],
        pretrained: str | None = None,
        init: str = "encoder",
        augment: AugmentConfig | None = None,
        foreground_fraction: float = 1 / 3,
        pad: bool = True,
        in_channels: int = 1,
        val_overlap: float = 0.25,
        metadata: dict | None = None,
    ) -> None:
        if init not in ("encoder", "encoder+decoder"):
            raise MedsslError(f"init must be 'encoder' or 'encoder+decoder'; got '{init}'")
        self.train, self.val = list(train), list(val)
        self.n_classes, self.patch = n_classes, tuple(int(p) for p in patch)
        self.pretrained, self.init = pretrained, init
        self.augment, self.foreground_fraction, self.pad = augment, foreground_fraction, pad
        self.in_channels, self.val_overlap = in_channels, val_overlap
        self.metadata = dict(metadata or {})
        self._loss = None

    def build_model(self, cfg) -> torch.nn.Module:
        from medssl.models import create_model

        model = create_model(
            cfg.model,
            in_channels=self.in_channels,
            out_channels=self.n_classes,
            **cfg.model_kwargs,
        )
        if self.pretrained:
            load_pretrained(model, self.pretrained, init=self.init)
        return model

    def make_dataset(self, records, cfg, seed: int) -> PatchDataset:
        return PatchDataset(
            [c.image for c in self.train],
            [c.classes for c in self.train],
            patch=self.patch,
            length=cfg.steps * cfg.batch_size,
            seed=seed,
            foreground_fraction=self.foreground_fraction,
            augment=self.augment,
            pad=self.pad,
            names=[c.name for c in self.train],
        )

    def loss(self, model, batch) -> tuple[torch.Tensor, dict[str, float]]:
        if self._loss is None:
            from monai.losses import DiceCELoss

            self._loss = DiceCELoss(to_onehot_y=True, softmax=True)
        logits = model(batch["image"])
        loss = self._loss(logits.float(), batch["label"])
        return loss, {}

    def export_metadata(self, model) -> dict:
        """``{"task": "segmentation", ...metadata}``: how ``medssl predict`` uses the file."""
        return {"task": "segmentation", **self.metadata}

    def validate(self, model, cfg) -> dict[str, float]:
        if not self.val:
            return {}
        from medssl.inference.sliding import sliding_window_predict

        dices = []
        device = next(model.parameters()).device
        for case in self.val:
            x = torch.from_numpy(case.image)[None].to(device)
            logits = sliding_window_predict(
                model,
                x,
                roi_size=self.patch,
                overlap=self.val_overlap,
                precision=cfg.precision,
            )
            pred = logits.argmax(1)[0].cpu().numpy()
            dices.append(np.mean(dice_per_class(pred, case.classes, self.n_classes)))
        mean = float(np.mean(dices))
        return {"val_loss": 1.0 - mean, "val_dice": mean}


def load_pretrained(model: torch.nn.Module, path: str, *, init: str) -> None:
    """Start ``model`` from a weights file: its encoder, or its encoder and decoder.

    Raises:
        MedsslError: Missing/corrupt file, or keys/shapes that do not fit (strict).
    """
    from medssl.models import load_encoder_weights, load_weights
    from medssl.models.weights import load_state_strict

    if init == "encoder":
        load_encoder_weights(model, path)
        return
    weights = load_weights(path)
    if weights.part != "model":
        raise MedsslError(
            f"{path} holds only an encoder; init 'encoder+decoder' needs a whole-network file"
        )
    for part in ("encoder", "decoder"):
        prefix = f"{part}."
        state = {k[len(prefix) :]: v for k, v in weights.state_dict.items() if k.startswith(prefix)}
        if not state or not hasattr(model, part):
            raise MedsslError(f"{path} has no '{part}' weights for this network")
        load_state_strict(getattr(model, part), state, source=str(path))
