"""The four losses of layer decomposition and their weighted, switchable sum.

Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition"
(arXiv 2021; journal version "Self-supervised Tumor Segmentation with Sim2Real
Adaptation", IEEE JBHI 2023). A network reads an image ``x`` that holds a synthetic
tumour and predicts three layers: the normal layer ``x̂`` (the image without the
tumour), the tumour layer ``ŝ`` and the mask logit (``m̂ = sigmoid(logit)``). With the
synthesis targets ``(x_n, s, m, α)`` of ``x = (1 − α·m)·x_n + α·m·s``:

- ``L0 = mean |x̂ − x_n|`` over every voxel (normal layer).
- ``L1 = mean |ŝ − s|`` over every voxel (tumour layer). The paper's equation and its
  released code take the L1 over the whole crop, so that is the default
  (``tumour_region="everywhere"``); ``"mask"`` restricts it to ``m > 0``, for
  syntheses whose tumour layer is undefined outside the tumour.
- ``L2 = DiceLoss(sigmoid(logit), m)`` (MONAI, soft Dice on the mask).
- ``L3 = mean |(1 − α·m̂)·x̂ + α·m̂·ŝ − x|`` (the layers re-composed into the input).

With ``emphasis`` on (the released code's default), L0 and L1 also add their L1 taken
over the tumour voxels only, so a small tumour is not drowned by the background.

Real, unlabelled scans (which may hold real tumours) can be mixed into a batch: for
them only ``L3`` is used, with ``α = 1``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from medssl.errors import MedsslError

_REGIONS = ("everywhere", "mask")

# Ablation rows as config values: which terms are switched on. B0 trains the mask
# alone on synthetic data; each later row adds one term; B4 also mixes real scans.
ABLATIONS: dict[str, dict[str, bool]] = {
    "B0": {"use_normal": False, "use_tumour": False, "use_mask": True, "use_recon": False},
    "B1": {"use_normal": True, "use_tumour": False, "use_mask": True, "use_recon": False},
    "B2": {"use_normal": True, "use_tumour": True, "use_mask": True, "use_recon": False},
    "B3": {"use_normal": True, "use_tumour": True, "use_mask": True, "use_recon": True},
    "B4": {"use_normal": True, "use_tumour": True, "use_mask": True, "use_recon": True},
}


@dataclass(frozen=True)
class LDLossConfig:
    """Weights (λ) and switches of the four layer-decomposition losses.

    Args:
        w_normal: λ0 of the normal-layer L1.
        w_tumour: λ1 of the tumour-layer L1.
        w_mask: λ2 of the mask Dice loss.
        w_recon: λ3 of the reconstruction L1.
        use_normal: Switch of L0.
        use_tumour: Switch of L1.
        use_mask: Switch of L2.
        use_recon: Switch of L3 (real scans contribute only through it).
        tumour_region: ``"everywhere"`` (paper) or ``"mask"``: where L1 is averaged.
        emphasis: Add the L1 over tumour voxels to L0 and L1.

    Raises:
        MedsslError: A negative weight, an unknown region, or every term switched off.
    """

    w_normal: float = 1.0
    w_tumour: float = 1.0
    w_mask: float = 1.0
    w_recon: float = 1.0
    use_normal: bool = True
    use_tumour: bool = True
    use_mask: bool = True
    use_recon: bool = True
    tumour_region: str = "everywhere"
    emphasis: bool = True

    def __post_init__(self) -> None:
        for key in ("w_normal", "w_tumour", "w_mask", "w_recon"):
            value = float(getattr(self, key))
            if not value >= 0.0 or value == float("inf"):
                raise MedsslError(f"loss weight {key} must be a finite number >= 0; got {value}")
            object.__setattr__(self, key, value)
        if self.tumour_region not in _REGIONS:
            raise MedsslError(
                f"tumour_region must be one of {', '.join(_REGIONS)}; got '{self.tumour_region}'"
            )
        if not (self.use_normal or self.use_tumour or self.use_mask or self.use_recon):
            raise MedsslError("at least one layer-decomposition loss must be switched on")

    @classmethod
    def ablation(cls, row: str, **overrides: object) -> LDLossConfig:
        """The switches of ablation row ``"B0"``..``"B4"`` (weights from ``overrides``).

        Raises:
            MedsslError: For an unknown row.
        """
        if row not in ABLATIONS:
            raise MedsslError(f"unknown ablation '{row}'; valid: {', '.join(ABLATIONS)}")
        return cls(**{**ABLATIONS[row], **overrides})  # type: ignore[arg-type]

    def replace(self, **changes: object) -> LDLossConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def compose(
    normal: torch.Tensor, tumour: torch.Tensor, mask: torch.Tensor, alpha: torch.Tensor | float
) -> torch.Tensor:
    """Re-compose an image from its layers: ``(1 − α·m)·normal + α·m·tumour``.

    Args:
        normal: The normal layer.
        tumour: The tumour layer.
        mask: Soft or hard tumour mask in [0, 1].
        alpha: Blending factor, a number or a tensor broadcastable to the layers
            (e.g. one value per sample, shape (N, 1, 1, 1, 1)).

    Shape:
        All layers (N, 1, X, Y, Z) → (N, 1, X, Y, Z).
    """
    am = alpha * mask
    return (1.0 - am) * normal + am * tumour


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean absolute error over all voxels, or over voxels where ``mask > 0``.

    An empty mask gives 0 (with a gradient path), not NaN.
    """
    diff = (pred - target).abs()
    if mask is None:
        return diff.mean()
    weight = (mask > 0).to(diff.dtype)
    return (diff * weight).sum() / weight.sum().clamp_min(1.0)


def mask_dice_loss(logit: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MONAI soft Dice loss on ``sigmoid(logit)``, averaged over the batch.

    Empty input: MONAI's smoothing terms (1e-5) make an empty target with an empty
    prediction a loss of 0, but an empty target with any predicted probability mass
    ``P`` a loss of ``P / (P + 1e-5)``, i.e. close to 1: tumour-free samples push the
    mask towards zero everywhere.
    """
    from monai.losses import DiceLoss

    return DiceLoss(sigmoid=True, reduction="mean")(logit.float(), mask.float())


def ld_loss(
    output: torch.Tensor,
    batch: dict[str, torch.Tensor],
    cfg: LDLossConfig,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted sum of the switched-on layer-decomposition losses.

    Args:
        output: Network output, channels (normal, tumour, mask logit).
        batch: ``x`` (input), ``x_n``, ``s``, ``m``, ``alpha`` (N,), and optionally
            ``real`` (N,) — 1 for a real unlabelled scan, whose synthesis targets are
            ignored and whose ``α`` is taken as 1.
        cfg: Weights and switches.

    Returns:
        The total loss and a dict of the terms as floats (``loss``, ``l_normal``,
        ``l_tumour``, ``l_mask``, ``l_recon``; a switched-off term is absent).

    Shape:
        output (N, 3, X, Y, Z); x, x_n, s, m (N, 1, X, Y, Z); alpha, real (N,).
    """
    output = output.float()
    normal, tumour, logit = output[:, 0:1], output[:, 1:2], output[:, 2:3]
    x = batch["x"].float()
    n = x.shape[0]
    real = batch.get("real")
    real = torch.zeros(n, dtype=torch.bool, device=x.device) if real is None else real.bool()
    alpha = batch["alpha"].float().reshape(n, 1, 1, 1, 1)
    alpha = torch.where(real.reshape(n, 1, 1, 1, 1), torch.ones_like(alpha), alpha)
    syn = ~real
    total = output.new_zeros(())
    logs: dict[str, float] = {}

    if bool(syn.any()):
        m = batch["m"][syn].float()
        hard = (m > 0.5).float()
        terms = []
        if cfg.use_normal:
            loss = masked_l1(normal[syn], batch["x_n"][syn].float(), None)
            if cfg.emphasis:
                loss = loss + masked_l1(normal[syn], batch["x_n"][syn].float(), hard)
            terms.append(("l_normal", cfg.w_normal, loss))
        if cfg.use_tumour:
            region = None if cfg.tumour_region == "everywhere" else hard
            loss = masked_l1(tumour[syn], batch["s"][syn].float(), region)
            if cfg.emphasis and region is None:
                loss = loss + masked_l1(tumour[syn], batch["s"][syn].float(), hard)
            terms.append(("l_tumour", cfg.w_tumour, loss))
        if cfg.use_mask:
            terms.append(("l_mask", cfg.w_mask, mask_dice_loss(logit[syn], m)))
        for name, weight, loss in terms:
            total = total + weight * loss
            logs[name] = float(loss.detach())
    if cfg.use_recon:
        recon = compose(normal, tumour, torch.sigmoid(logit), alpha)
        loss = masked_l1(recon, x, None)
        total = total + cfg.w_recon * loss
        logs["l_recon"] = float(loss.detach())
    if not logs:  # e.g. only real scans and L3 switched off: a zero loss that backprops
        total = total + 0.0 * output.sum()
    logs["loss"] = float(total.detach())
    return total, logs
