"""SAR: scale-aware restoration with a modality-invariant adversary.

Zhang et al., "SAR: Scale-Aware Restoration Learning for 3D Tumor Segmentation",
MICCAI 2021. Cubes of 1/2, 1/4 and 1/8 of the volume's side (ratio 1:1:2) are resized
to 64×64×32 and corrupted as in Models Genesis (:mod:`medssl.views.sar`). The 3D UNet
restores them (``L_res``, MSE), a scale head (global average pooling + two FC on the
bottleneck) predicts the scale class (``L_scale``, cross-entropy), and MIAL
(:mod:`medssl.models.mial`), densely connected to the encoder levels, predicts the
modality while the encoder learns to hide it (``L_adv``)::

    L = L_adv + α · L_scale + β · L_res,   α = 1, β = 10

The min-max game is played in one backward pass, in one of two ways (``adversary``):

* ``confusion`` (default): MIAL learns to minimise its cross-entropy ``L_adv`` on
  detached encoder features, while the encoder, through a copy of MIAL with frozen
  weights, minimises ``L_conf``, the cross-entropy of MIAL's prediction against the
  uniform distribution (Tzeng et al., ICCV 2015). ``L_conf`` is bounded below by
  ``log 2``, reached when MIAL cannot tell CT from MR, so the encoder's pull never
  grows without limit.
* ``reversal``: a gradient-reversal layer in front of MIAL (Ganin & Lempitsky, ICML
  2015), so the encoder maximises ``L_adv`` itself. That maximum is unbounded: at the
  paper's UNet learning rate of 1 the encoder outruns MIAL (learning rate 1e-3) and
  ``L_adv`` climbs past 50 within a few dozen steps.

``adv_weight`` scales the encoder's adversarial term (``L_conf``, or the reversed
gradient). The engine's default step then steps the three SGD optimizers returned by
:meth:`SAR.optimizers` (learning rates 1, 0.1 and 1e-3 for the UNet, the scale head and
MIAL in ``configs/sar.yaml``).

Ablations: ``use_scale: false`` (+MIAL only), ``use_mial: false`` (+SA only), both off
(Models Genesis on multi-scale cubes), ``scales: [0.25]`` with ``scale_probs: [1.0]``
and ``use_scale: false`` (one scale). MIAL needs CT and MR volumes with their modality;
otherwise it is turned off with a warning (its parameters then get no gradient, which
DistributedDataParallel accepts with the default ``ddp_find_unused: true``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from medssl.data.volumes import VolumeOptions, held_out_batches, load_volumes, make_views
from medssl.errors import MedsslError
from medssl.losses.confusion import confusion_loss
from medssl.losses.restoration import restoration_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.genesis import genesis_transform
from medssl.methods.options import as_shape, check_counts
from medssl.models import create_model, model_spec
from medssl.models.sar_net import SarNet
from medssl.transforms import ScaleCubeConfig
from medssl.views import SarViewConfig, make_sar_dataset

ADVERSARIES = ("confusion", "reversal")


@METHODS.register("sar")
class SAR(Method):
    """SAR pretraining (Zhang et al., MICCAI 2021).

    Args:
        scales: Cube side as a fraction of the volume's side, one per scale class.
        scale_probs: Probability of each scale (the paper's 1:1:2).
        out_shape: Shape every cube is resized to.
        pad: Pad a volume smaller than ``out_shape`` instead of raising.
        use_scale: Train the scale head (the "SA" part).
        use_mial: Train the modality-invariant adversary (the "MIAL" part).
        alpha: Weight α of ``L_scale``.
        beta: Weight β of ``L_res``.
        scale_lr: Learning rate of the scale head (the UNet uses the run's ``lr``).
        mial_lr: Learning rate of MIAL.
        scale_hidden: Hidden width of the scale head.
        mial_width: Channels of MIAL's convolutions.
        mial_hidden: Hidden width of MIAL's fully connected layers.
        mial_levels: Encoder levels MIAL sees; None for all.
        adversary: ``confusion`` (the encoder pushes MIAL towards a uniform guess) or
            ``reversal`` (a gradient-reversal layer: the encoder maximises ``L_adv``).
        adv_weight: Weight of the encoder's adversarial term (``L_conf``, or the
            reversed gradient).
        transform: Overrides of the Models Genesis transforms' probabilities.
        length: Samples per epoch; None for an endless stream of new samples.
        val_items: Held-out items (same volumes, another seed) scored by ``validate``;
            0 turns validation off.
        preprocess: :class:`~medssl.data.volumes.VolumeOptions` fields.

    Raises:
        MedsslError: On an unknown or bad option, e.g. the scale head with one scale.
    """

    name = "sar"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {
            "out_shape": [16, 16, 16],
            "val_items": 2,
            "scale_hidden": 16,
            "mial_width": 8,
            "mial_hidden": 8,
            "preprocess": {"preset": "none"},
        }

    def __init__(
        self,
        *,
        scales: Sequence[float] = (1 / 2, 1 / 4, 1 / 8),
        scale_probs: Sequence[float] = (0.25, 0.25, 0.5),
        out_shape: Sequence[int] = (64, 64, 32),
        pad: bool = False,
        use_scale: bool = True,
        use_mial: bool = True,
        alpha: float = 1.0,
        beta: float = 10.0,
        scale_lr: float = 0.1,
        mial_lr: float = 1e-3,
        scale_hidden: int = 256,
        mial_width: int = 64,
        mial_hidden: int = 64,
        mial_levels: Sequence[int] | None = None,
        adversary: str = "confusion",
        adv_weight: float = 1.0,
        transform: Mapping[str, Any] | None = None,
        length: int | None = None,
        val_items: int = 8,
        preprocess: Mapping[str, Any] | None = None,
    ) -> None:
        cubes = ScaleCubeConfig(
            scales=tuple(float(s) for s in scales),
            probs=tuple(float(p) for p in scale_probs),
            out_shape=as_shape(out_shape, name="out_shape"),
            pad=bool(pad),
        )
        if use_scale and len(cubes.scales) < 2:
            raise MedsslError(
                f"the scale head needs at least two scales; got {list(cubes.scales)} "
                "(set use_scale: false for a single-scale run)"
            )
        if adversary not in ADVERSARIES:
            raise MedsslError(f"adversary must be one of {list(ADVERSARIES)}; got {adversary!r}")
        for key, value in (("alpha", alpha), ("beta", beta), ("adv_weight", adv_weight)):
            if not float(value) >= 0:
                raise MedsslError(f"{key} must be >= 0; got {value}")
        for key, value in (("scale_lr", scale_lr), ("mial_lr", mial_lr)):
            if not float(value) > 0:
                raise MedsslError(f"{key} must be > 0; got {value}")
        self.view = SarViewConfig(cubes=cubes, transform=genesis_transform(transform))
        self.use_scale, self.use_mial = bool(use_scale), bool(use_mial)
        self.alpha, self.beta = float(alpha), float(beta)
        self.adversary, self.adv_weight = adversary, float(adv_weight)
        self.scale_lr, self.mial_lr = float(scale_lr), float(mial_lr)
        self.scale_hidden, self.mial_width, self.mial_hidden = scale_hidden, mial_width, mial_hidden
        self.mial_levels = None if mial_levels is None else list(mial_levels)
        self.length, self.val_items = check_counts(length=length, val_items=val_items)
        self.volume_options = VolumeOptions.from_mapping(preprocess)
        self.held_out: torch.utils.data.Dataset | None = None
        self.adversary_on = self.use_mial  # turned off by make_dataset for one modality

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"out_shape": tuple(self.view.cubes.out_shape)}

    def build_model(self, cfg: Any) -> SarNet:
        """The ``sar_net`` around ``create_model(cfg.model, in_channels=1, out_channels=1)``."""
        unet = model_spec(cfg.model, **{"in_channels": 1, "out_channels": 1, **cfg.model_kwargs})
        mial = {"levels": self.mial_levels, "width": self.mial_width, "hidden": self.mial_hidden}
        return create_model(
            "sar_net",
            unet=unet,
            n_scales=len(self.view.cubes.scales) if self.use_scale else None,
            scale_hidden=self.scale_hidden,
            mial=mial if self.use_mial else None,
            adversary=self.adversary,
            reversal=self.adv_weight,
        )

    def optimizers(self, model: SarNet, cfg: Any) -> dict[str, dict[str, Any]]:
        """The UNet at ``cfg.lr``, the scale head at ``scale_lr``, MIAL at ``mial_lr``."""
        groups: dict[str, dict[str, Any]] = {"unet": {"params": model.unet.parameters()}}
        if model.scale_head is not None:
            groups["scale"] = {"params": model.scale_head.parameters(), "lr": self.scale_lr}
        if model.mial is not None:
            groups["mial"] = {"params": model.mial.parameters(), "lr": self.mial_lr}
        return groups

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        volumes = load_volumes(records, self.volume_options)
        modalities = volumes.modalities
        if self.use_mial:
            reason = mial_unusable(modalities)
            if reason:
                warnings.warn(
                    f"SAR: {reason}; training without MIAL (set use_mial: false to silence this)",
                    stacklevel=2,
                )
            self.adversary_on = not reason
        self.held_out = None
        if self.val_items:
            self.held_out = make_views(
                make_sar_dataset, volumes, seed=seed + 1, length=self.val_items, config=self.view
            )
        return make_views(
            make_sar_dataset,
            volumes,
            seed=seed,
            length=self.length,
            config=self.view,
            modalities=modalities if self.adversary_on else None,
        )

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        out = model(batch["input"], adversary=self.adversary_on)
        l_res = restoration_loss(out.restored, batch["target"])
        loss = self.beta * l_res
        logs = {"l_res": float(l_res.detach())}
        if out.scale is not None:
            l_scale = F.cross_entropy(out.scale.float(), batch["scale"])
            loss = loss + self.alpha * l_scale
            logs["l_scale"] = float(l_scale.detach())
        if out.modality is not None:
            l_adv = F.cross_entropy(out.modality.float(), batch["modality"])
            loss = loss + l_adv
            logs["l_adv"] = float(l_adv.detach())
        if out.confusion is not None:
            l_conf = confusion_loss(out.confusion)  # log 2 when MIAL is fooled
            loss = loss + self.adv_weight * l_conf
            logs["l_conf"] = float(l_conf.detach())
        return loss, logs

    def validate(self, model: SarNet, cfg: Any) -> dict[str, float]:
        """``β · L_res + α · L_scale`` on the held-out items (label-free; lower is better).

        ``L_adv`` is left out: it is a min-max term, not a measure of the encoder.
        """
        if self.held_out is None:
            return {}
        total = 0.0
        batches = held_out_batches(self.held_out, batch_size=cfg.batch_size, like=model)
        for batch in batches:
            out = model(batch["input"], adversary=False)
            loss = self.beta * restoration_loss(out.restored, batch["target"])
            if out.scale is not None:
                loss = loss + self.alpha * F.cross_entropy(out.scale.float(), batch["scale"])
            total += float(loss)
        return {"val_loss": total / len(batches)}

    def encoder_of(self, model: SarNet) -> nn.Module:
        return model.unet.encoder


def mial_unusable(modalities: Sequence[str | None]) -> str | None:
    """Why MIAL cannot run on volumes of these modalities, or None when it can.

    MIAL needs every volume's modality and both CT and MR among them.
    """
    missing = sum(m is None for m in modalities)
    if missing:
        return (
            f"MIAL needs the modality (CT or MR) of every volume; {missing} of "
            f"{len(modalities)} have none (give --modality or a CSV 'modality' column)"
        )
    present = sorted(set(modalities))
    if len(present) < 2:
        return f"MIAL needs both CT and MR volumes; all {len(modalities)} are {present[0].upper()}"
    return None
