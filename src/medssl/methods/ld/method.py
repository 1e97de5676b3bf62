"""Layer decomposition: self-supervised tumour segmentation from synthetic tumours.

Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition"
(arXiv 2021; IEEE JBHI 2023 as "Self-supervised Tumor Segmentation with Sim2Real
Adaptation"). A tumour is simulated in a normal scan ``x_n`` with the texture of
another scan ``x_nj``: ``x = (1 − α·m)·x_n + α·m·s`` (:mod:`medssl.synthesis`). A 3D
UNet with three output channels — normal layer, tumour layer, mask logit — learns to
undo it (losses in :mod:`medssl.losses.layer_decomposition`). At test time the mask
channel segments real tumours with no label ever seen (:mod:`medssl.inference.ld`).

Data: the item stream of :mod:`medssl.methods.ld.dataset` (cached volumes, optional
domain randomisation, crops, synthesis, real items), run in the DataLoader workers.

Brain FLAIR. No healthy FLAIR is available, so the normal volumes are unlabelled
FLAIR scans, as in the paper's public code: by default (``configs/ld_brain.yaml``)
raw clinical FLAIRs of MS patients from a source other than BraTS
(``brain_flair_pool``, split by patient), so that BraTS stays an unseen source.
Their real lesions would be taught as normal tissue, so with ``lesion_fill`` the
likely lesions, found without labels by a hysteresis z-score threshold and
left-right asymmetry, are replaced by contralateral tissue first
(:mod:`medssl.methods.ld.lesion_fill`); the real items keep the raw scans. Scanner
differences are simulated by domain randomisation (``randomise``;
:mod:`medssl.methods.ld.randomise`), and the in-brain normalisation is selectable
(``normalisation``). The T1 templates (MNI152, Colin27) are not used: their contrast
is not FLAIR's (white matter brighter than grey matter, another intensity scale), so
as normal layers they would teach a wrong normal appearance, and as textures they
would bring T1 patterns into FLAIR tumours.

Liver CT. Normal livers are CT scans with a liver mask (any manual or predicted
map, read as the preset's organ label), their hypo-dense lesions filled from the
surrounding liver without labels (``lesion_fill``; :mod:`medssl.methods.ld.ct_lesion_fill`).
Contrast phase, dose and reconstruction differ between scans; they are simulated in
HU by the CT domain randomisation (:mod:`medssl.methods.ld.ct_randomise`), which
refuses the MRI-only parts by name.

Validation (label-free): a fixed set of ``val_samples`` simulated samples, made once
with ``val_seed`` from the held-out scans of ``val_data`` (same randomisation), or
from the training volumes without it; ``validate`` returns their mean loss
(``val_loss``, for checkpoint selection) and the Dice of the predicted mask against
the simulated one (``val_dice_sim``). Real labels are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from medssl.errors import MedsslError
from medssl.losses.layer_decomposition import LDLossConfig, ld_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.ld.dataset import _TAG_VAL, LDDataset, Volume, load_volumes
from medssl.methods.ld.presets import LDPreset, ld_preset
from medssl.methods.options import check_fields
from medssl.preprocess.ct_window import OrganWindow

#: Probability above which a voxel is tumour (a mask logit above 0, as in ``validate``).
MASK_THRESHOLD = 0.5

__all__ = ["LDDataset", "LayerDecomposition", "Volume", "load_volumes"]


def _texture_options(options: dict[str, Any] | None, preset: LDPreset) -> dict[str, Any] | None:
    """Validated ``texture_data`` (see :class:`LayerDecomposition`).

    Raises:
        MedsslError: Not a mapping, unknown or missing keys, an unknown preset, or a
            preset of another modality.
    """
    if options is None:
        return None
    if not isinstance(options, dict):
        raise MedsslError(
            f"texture_data must be a mapping (data, roi_rule, preset); got {options!r}"
        )
    keys = {"data", "roi_rule", "preset"}
    unknown, missing = sorted(set(options) - keys), sorted(keys - set(options))
    if unknown or missing:
        raise MedsslError(
            f"texture_data needs exactly the keys {sorted(keys)}; "
            f"unknown {unknown}, missing {missing}"
        )
    other = ld_preset(str(options["preset"]), spacing=preset.spacing)
    if other.modality != preset.modality:
        raise MedsslError(
            f"texture_data preset '{other.name}' is {other.modality}, "
            f"but preset '{preset.name}' is {preset.modality}"
        )
    return {
        "data": options["data"],
        "roi_rule": str(options["roi_rule"]),
        "preset": other.name,
    }


@METHODS.register("ld")
class LayerDecomposition(Method):
    """The ``ld`` method: 3-layer UNet, synthetic tumours, four switchable losses.

    Args:
        preset: ``"brain_flair"`` or ``"liver_ct"`` (:mod:`medssl.methods.ld.presets`).
        spacing: Network voxel size in mm (default: the preset's, 2 mm).
        patch_size: Training crop, multiples of the network's size divisor (default 64³).
        window: Inference window stored for zero-shot use (default 96³).
        loss: :class:`LDLossConfig` fields (λ weights, switches, tumour region).
        ablation: ``"B0"``..``"B4"`` switch preset; ``loss`` entries override it.
        synthesis: Overrides of the synthesis preset's fields.
        real_fraction: Share of items that are real unlabelled crops (L3 only).
        empty_fraction: Share of the synthetic items left without a tumour (the normal
            crop, mask 0), in training and in the simulated validation set; the
            validation then also reports ``val_fp_sim_ml``, the mean predicted volume
            of those tumour-free samples (cm³).
        roi_rule: Pairing rule for a record's ROI map (e.g. ``"seg_predicted.nii.gz"``).
        cache_dir: Preprocessing cache folder (default ``$MEDSSL_CACHE`` or
            ``.medssl_cache``).
        val_samples: Size of the fixed simulated validation set.
        val_seed: Seed of that set.
        texture_data: Extra texture donors, never used as normal layers: a mapping with
            ``data`` (a dataset spec: glob, folder or CSV), ``roi_rule`` (pairing of
            each image's organ map) and ``preset`` (the LD preset whose crop and organ
            labels read them, e.g. ``spleen_ct``). For a single normal scan, whose
            textures would otherwise come from the same scan.
        lesion_fill: Replace likely real lesions in the normal volumes before use
            (``true`` for the defaults, or a mapping of options: of
            :mod:`medssl.methods.ld.lesion_fill` for brain FLAIR, of
            :mod:`medssl.methods.ld.ct_lesion_fill` (hypo-dense lesions inside the
            organ) for CT presets). Real items keep the raw scan.
        lesion_fill_ids: Ids of the training records that ``lesion_fill`` applies to
            (default: all), e.g. only the scans known to hold lesions, so that a
            lesion-free scan keeps its normal hypo-dense structures.
        normalisation: In-brain intensity normalisation of an MRI preset, one of
            :data:`medssl.methods.ld.presets.NORMALISATIONS` (default: z-score); of a CT
            preset, ``window`` (the fixed HU window, default) or ``organ`` (the window
            after the organ's median and IQR are brought to a reference).
        landmarks: Standard landmarks of the ``histogram`` normalisation.
        randomise: Domain randomisation (``true`` for the defaults, or a mapping of
            :class:`medssl.methods.ld.randomise.RandomisationConfig` fields for MRI
            presets, of :class:`medssl.methods.ld.ct_randomise.CTRandomisationConfig`
            fields (contrast phase, blur, thick slices, noise in HU) for CT presets).
        periventricular: Share of synthetic items whose tumour centres lie next to
            the ventricles.
        val_data: Held-out scans (a dataset spec, e.g. a CSV with a ``roi`` column)
            that the validation samples are simulated from, with the training
            randomisation; also scored for the false-positive volume ``val_fp_ml``
            (mean predicted mask volume per held-out scan, cm³). Default: the
            training volumes.
        antialias: Low-pass an image before resampling makes an axis coarser
            (:class:`medssl.preprocess.resample.Resample`), in training and in the
            inference preset stored with the weights.
    """

    name = "ld"

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        return {
            "patch_size": 16,
            "synthesis": {"volume_range_mm3": [300.0, 1500.0]},
            "val_samples": 2,
        }

    def __init__(
        self,
        *,
        preset: str = "brain_flair",
        spacing: float | None = None,
        patch_size: int | list[int] | None = None,
        window: int | list[int] | None = None,
        loss: dict[str, Any] | None = None,
        ablation: str | None = None,
        synthesis: dict[str, Any] | None = None,
        real_fraction: float = 0.0,
        empty_fraction: float = 0.0,
        roi_rule: str | None = None,
        cache_dir: str | None = None,
        val_samples: int = 8,
        val_seed: int = 1234,
        lesion_fill: bool | dict[str, Any] | None = None,
        lesion_fill_ids: list[str] | None = None,
        texture_data: dict[str, Any] | None = None,
        normalisation: str | None = None,
        landmarks: list[float] | None = None,
        randomise: bool | dict[str, Any] | None = None,
        periventricular: float = 0.0,
        val_data: str | None = None,
        antialias: bool = False,
    ) -> None:
        from medssl.methods.ld.ct_randomise import randomisation_config
        from medssl.methods.ld.lesion_fill import lesion_fill_options
        from medssl.synthesis.config import SynthesisConfig
        from medssl.synthesis.config import preset as synthesis_preset

        self.normalisation, self.landmarks = normalisation, landmarks
        self.preset = ld_preset(
            preset, spacing=spacing, patch_size=patch_size, window=window,
            normalisation=normalisation, landmarks=landmarks, antialias=bool(antialias),
        )  # fmt: skip
        self.antialias = bool(antialias)
        self.randomisation = randomisation_config(
            randomise, modality=self.preset.modality, preset=self.preset.name
        )
        if not 0.0 <= float(periventricular) <= 1.0:
            raise MedsslError(f"periventricular must be in [0, 1]; got {periventricular}")
        self.periventricular, self.val_data = float(periventricular), val_data
        self.val_dataset: LDDataset | None = None
        self._held_out: list[Volume] = []
        loss = check_fields(LDLossConfig, loss, method=self.name, group="loss")
        synthesis = check_fields(SynthesisConfig, synthesis, method=self.name, group="synthesis")
        synthesis_preset(self.preset.synthesis, **synthesis)  # bad values fail here, not later
        self.loss_cfg = (
            LDLossConfig.ablation(ablation, **loss) if ablation else LDLossConfig(**loss)
        )
        if not 0.0 <= float(real_fraction) <= 1.0:
            raise MedsslError(f"real_fraction must be in [0, 1]; got {real_fraction}")
        if not 0.0 <= float(empty_fraction) < 1.0:
            raise MedsslError(f"empty_fraction must be in [0, 1); got {empty_fraction}")
        self.empty_fraction = float(empty_fraction)
        if real_fraction > 0 and not self.loss_cfg.use_recon:
            raise MedsslError("real_fraction > 0 needs the reconstruction loss (use_recon: true)")
        if int(val_samples) < 1:
            raise MedsslError(f"val_samples must be >= 1; got {val_samples}")
        self.synthesis, self.real_fraction = dict(synthesis or {}), float(real_fraction)
        self.roi_rule, self.cache_dir = roi_rule, cache_dir
        self.val_samples, self.val_seed = int(val_samples), int(val_seed)
        if self.preset.modality == "FLAIR":
            self.lesion_fill = lesion_fill_options(lesion_fill)
        else:
            from medssl.methods.ld.ct_lesion_fill import ct_lesion_fill_options

            self.lesion_fill = ct_lesion_fill_options(lesion_fill)
        if lesion_fill_ids is not None and self.lesion_fill is None:
            raise MedsslError(
                f"lesion_fill_ids needs lesion_fill on; got lesion_fill_ids {lesion_fill_ids!r} "
                f"with lesion_fill {lesion_fill!r}"
            )
        self.lesion_fill_ids = (
            None if lesion_fill_ids is None else [str(i) for i in lesion_fill_ids]
        )
        self.texture_data = _texture_options(texture_data, self.preset)
        self.dataset: LDDataset | None = None
        self._val: list[dict[str, torch.Tensor]] | None = None

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"patch_size": tuple(self.preset.patch_size), "window": tuple(self.preset.window)}

    @staticmethod
    def card_lines(options: dict[str, Any]) -> list[str]:
        """Model-card lines: the simulated lesions, randomisation, normalisation, held-out data."""
        from medssl.methods.ld.ct_randomise import randomisation_config
        from medssl.synthesis.config import preset as synthesis_preset

        preset = ld_preset(str(options.get("preset", "brain_flair")))
        syn = synthesis_preset(preset.synthesis, **dict(options.get("synthesis") or {}))
        low, high = syn.volume_range_mm3
        diameter = lambda v: (6.0 * v / np.pi) ** (1.0 / 3.0)
        rand = randomisation_config(
            options.get("randomise"), modality=preset.modality, preset=preset.name
        )
        parts = "off" if rand is None or rand.apply_to == "none" else (
            f"on the {rand.apply_to} image(s): "
            + ", ".join(f"{p} (p={getattr(rand, 'p_' + p)})" for p in rand.parts()
                        if getattr(rand, p))
        )  # fmt: skip
        size = (
            f"{low / 1000:g}-{high / 1000:g} cm³ ({low:g}-{high:g} mm³, spheres of "
            f"{diameter(low):.1f}-{diameter(high):.0f} mm)"
        )
        if syn.radius_fraction_range is not None:
            f_low, f_high = syn.radius_fraction_range
            size = f"radius {f_low:g}-{f_high:g} of the organ's (as spheres of equal volume)"
        pair = lambda r: f"{r[0]:g}-{r[1]:g}"
        empty = float(options.get("empty_fraction") or 0.0)
        kinds = f"hypo-dense only (r in {pair(syn.intensity_ratio_range)})"
        if syn.density_variants:
            weights = "/".join(f"{w:g}" for w in syn.density_weights)
            kinds = (
                f"hypo/iso/hyper-dense, weights {weights}, r in "
                f"{pair(syn.intensity_ratio_range)} / {pair(syn.iso_ratio_range)} / "
                f"{pair(syn.hyper_ratio_range)}"
            )
        return [
            "## Simulated lesions",
            (
                f"- {syn.count_range[0]}-{syn.count_range[1]} per sample, each "
                f"{size}, {syn.volume_sampling} in volume"
                + (
                    f"; {float(options.get('periventricular', 0.0)):.0%} centred next to the "
                    "ventricles"
                    if preset.modality != "CT"
                    else ""
                )
            ),
            (
                "- Lesions outside this size range were never simulated."
                if syn.radius_fraction_range is not None
                else f"- Lesions outside this size range were never simulated: expect misses "
                f"below {low / 1000:g} cm³ and under-segmentation above {high / 1000:g} cm³."
            ),
            *([f"- Density: {kinds}"] if preset.modality == "CT" else []),
            *(
                [f"- Tumour-free samples: {empty:.0%} of the synthetic items (mask 0)"]
                if empty
                else []
            ),
            f"- Domain randomisation: {parts}",
            (
                f"- Normalisation: {options.get('normalisation') or 'zscore'} inside the brain"
                if preset.modality != "CT"
                else "- Normalisation: the organ's median and IQR brought to 100 and "
                f"{OrganWindow.spread:g} HU, then -175..250 HU to 0..1"
                if options.get("normalisation") == "organ"
                else "- Normalisation: fixed HU window (-175..250 HU to 0..1)"
            ),
            f"- Held-out validation scans: {options.get('val_data') or 'none (training volumes)'}",
            "",
        ]

    def build_model(self, cfg: Any) -> torch.nn.Module:
        """The configured network with 1 input and 3 output channels.

        The channels are written into ``cfg.model_kwargs`` so the exported weights
        rebuild the same network.

        Raises:
            MedsslError: If the config asks for other channel counts.
        """
        from medssl.models import create_model

        kwargs = cfg.model_kwargs
        for key, value in (("in_channels", 1), ("out_channels", 3)):
            if kwargs.get(key, value) != value:
                raise MedsslError(
                    f"method ld needs model_kwargs.{key} = {value}; got {kwargs[key]}"
                )
            kwargs[key] = value
        return create_model(cfg.model, **kwargs)

    def export_metadata(self, model: torch.nn.Module) -> dict[str, Any]:
        """The preset (preprocessing, spacing, crop, window) and the mask threshold.

        Stored in ``model.pt`` so that zero-shot segmentation needs nothing else.
        """
        return {"ld": self.preset.to_dict(), "threshold": MASK_THRESHOLD}

    def make_dataset(self, records: Sequence[Any], cfg: Any, seed: int) -> LDDataset:
        """The endless item stream over the cached volumes of ``records``."""
        volumes = load_volumes(
            records,
            self.preset,
            cache_dir=self.cache_dir,
            roi_rule=self.roi_rule,
            lesion_fill=self.lesion_fill,
            lesion_fill_ids=self.lesion_fill_ids,
        )
        textures = None
        if self.texture_data is not None:
            from medssl.data import load_records

            spec = self.texture_data
            other = ld_preset(
                spec["preset"], spacing=self.preset.spacing,
                normalisation=self.normalisation if self.preset.modality == "FLAIR" else None,
                landmarks=self.landmarks, antialias=self.antialias,
            )  # fmt: skip
            textures = load_volumes(
                load_records(spec["data"], rois=spec["roi_rule"]), other, cache_dir=self.cache_dir
            )
        options = {
            "synthesis": self.synthesis, "randomisation": self.randomisation,
            "periventricular": self.periventricular, "empty_fraction": self.empty_fraction,
        }  # fmt: skip
        self.dataset = LDDataset(
            volumes, self.preset, seed=seed, real_fraction=self.real_fraction,
            textures=textures, **options,
        )  # fmt: skip
        self.val_dataset = self.dataset
        if self.val_data is not None:
            from medssl.data import load_records

            self._held_out = load_volumes(
                load_records(self.val_data), self.preset, cache_dir=self.cache_dir
            )
            donors = self._held_out if len(self._held_out) > 1 else volumes
            self.val_dataset = LDDataset(
                self._held_out, self.preset, seed=seed,
                textures=None if donors is self._held_out else donors, **options,
            )  # fmt: skip
        self._val = None
        return self.dataset

    def loss(self, model: torch.nn.Module, batch: dict[str, torch.Tensor]):
        """Forward the input and return the weighted LD loss and its terms."""
        return ld_loss(model(batch["x"]), batch, self.loss_cfg)

    def validation_set(self) -> list[dict[str, torch.Tensor]]:
        """The fixed simulated validation items (made once; synthetic only).

        Raises:
            MedsslError: If ``make_dataset`` has not run.
        """
        if self.dataset is None or self.val_dataset is None:
            raise MedsslError("validate() needs make_dataset() to have run first")
        if self._val is None:
            self._val = [
                self.val_dataset.make(
                    np.random.default_rng([self.val_seed, _TAG_VAL, k]), allow_real=False
                )
                for k in range(self.val_samples)
            ]
        return self._val

    @torch.no_grad()
    def false_positive_ml(self, model: torch.nn.Module) -> float:
        """Mean predicted mask volume (cm³) over the held-out scans, whole-volume passes."""
        device = next(model.parameters()).device
        volumes = []
        for v in self._held_out:
            image = v.raw if v.raw is not None else v.image
            pad = [(0, -n % 16) for n in image.shape]
            x = torch.from_numpy(np.pad(image, pad, constant_values=v.fill).astype(np.float32))
            logit = model(x[None, None].to(device)).float()[0, 2].cpu().numpy()
            mask = (logit[tuple(slice(0, n) for n in image.shape)] > 0) & v.roi
            volumes.append(float(mask.sum()) * float(np.prod(v.spacing)) / 1000.0)
        return float(np.mean(volumes)) if volumes else 0.0

    @torch.no_grad()
    def validate(self, model: torch.nn.Module, cfg: Any) -> dict[str, float]:
        """``val_loss`` and ``val_dice_sim`` on the simulated validation set (held-out
        scans when ``val_data`` is set, which also gives ``val_fp_ml``)."""
        device = next(model.parameters()).device
        items = self.validation_set()
        size = max(1, int(getattr(cfg, "batch_size", 2)))
        losses, inter, total, empty_ml = [], 0.0, 0.0, []
        voxel_ml = float(self.preset.spacing) ** 3 / 1000.0
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            batch = {k: torch.stack([it[k] for it in chunk]).to(device) for k in chunk[0]}
            out = model(batch["x"]).float()
            loss, _ = ld_loss(out, batch, self.loss_cfg)
            losses.append(float(loss) * len(chunk))
            pred = (out[:, 2:3] > 0).float()
            inter += float((pred * batch["m"]).sum())
            total += float(pred.sum() + batch["m"].sum())
            if self.empty_fraction > 0:
                empty = batch["m"].flatten(1).sum(1) == 0
                empty_ml += (pred.flatten(1).sum(1)[empty] * voxel_ml).tolist()
        dice = 2.0 * inter / total if total > 0 else 1.0
        metrics = {"val_loss": sum(losses) / len(items), "val_dice_sim": dice}
        if empty_ml:
            metrics["val_fp_sim_ml"] = float(np.mean(empty_ml))
        if self._held_out:
            metrics["val_fp_ml"] = self.false_positive_ml(model)
        return metrics
