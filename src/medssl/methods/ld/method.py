"""Layer decomposition: self-supervised tumour segmentation from synthetic tumours.

Zhang et al., "Self-supervised Tumor Segmentation through Layer Decomposition"
(arXiv 2021; IEEE JBHI 2023 as "Self-supervised Tumor Segmentation with Sim2Real
Adaptation"). A tumour is simulated in a normal scan ``x_n`` with the texture of
another scan ``x_nj``: ``x = (1 − α·m)·x_n + α·m·s`` (:mod:`medssl.synthesis`). A 3D
UNet with three output channels — normal layer, tumour layer, mask logit — learns to
undo it (losses in :mod:`medssl.losses.layer_decomposition`). At test time the mask
channel segments real tumours with no label ever seen (:mod:`medssl.inference.ld`).

Data. Each record's image is preprocessed once by the preset's pipeline
(:mod:`medssl.methods.ld.presets`) and cached on disk (:class:`PreprocessCache`). An
item draws, from its own generator seeded by ``(seed, index)``: a normal volume
``i``, a different texture volume ``j``, a crop of ``patch_size`` centred on a random
organ voxel of each (kept inside the volume; a volume smaller than the crop is padded
with the median of its outer faces, 0 around a brain), the synthesis parameters and,
with probability ``real_fraction``, turns the item into a real unlabelled crop trained
with the reconstruction loss alone (α = 1). A crop whose organ fits no tumour is
re-drawn up to three times, then used without a tumour (m = 0, α = 0). Synthesis runs
in the DataLoader workers.

Brain FLAIR. No healthy FLAIR is available, so the normal volumes are unlabelled
FLAIR scans (e.g. BraTS), as in the paper's public code. Their real tumours would be
taught as normal tissue (a model trained so keeps real tumours in its normal layer),
so with ``lesion_fill`` the likely lesions, found without labels by a hysteresis
z-score threshold and left-right asymmetry, are replaced by contralateral tissue
first (:mod:`medssl.methods.ld.lesion_fill`); the real items keep the raw scans. The
T1 templates (MNI152, Colin27) are not used: their contrast is not FLAIR's (white
matter brighter than grey matter, another intensity scale), so as normal layers they
would teach a wrong normal appearance, and as textures they would bring T1 patterns
into FLAIR tumours.

Validation (label-free): a fixed set of ``val_samples`` simulated samples, made once
from the training volumes with ``val_seed``; ``validate`` returns their mean loss
(``val_loss``, for checkpoint selection) and the Dice of the predicted mask against
the simulated one (``val_dice_sim``). Real labels are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from medssl.errors import MedsslError
from medssl.losses.layer_decomposition import LDLossConfig, ld_loss
from medssl.methods.base import METHODS, Method
from medssl.methods.ld.presets import LDPreset, ld_preset, pipeline_of
from medssl.methods.options import check_fields

_TAG_ITEM, _TAG_VAL = 11, 12
#: Probability above which a voxel is tumour (a mask logit above 0, as in ``validate``).
MASK_THRESHOLD = 0.5


@dataclass
class Volume:
    """A cached, preprocessed training volume.

    Shape:
        ``image`` (X, Y, Z) float32; ``roi`` (X, Y, Z) bool, the organ.
    """

    id: str
    image: np.ndarray
    roi: np.ndarray
    spacing: tuple[float, float, float]
    organ_voxels: np.ndarray  # flat indices of roi voxels
    fill: float = 0.0  # padding value of crops (see border_value)
    raw: np.ndarray | None = None  # the image before lesion fill (real items use it)


def load_volumes(
    records: Sequence[Any],
    preset: LDPreset,
    *,
    cache_dir: str | None = None,
    roi_rule: str | None = None,
    lesion_fill: dict[str, float] | None = None,
) -> list[Volume]:
    """Preprocess (or read from the cache) every record's image and organ mask.

    With ``lesion_fill`` (options of :mod:`medssl.methods.ld.lesion_fill`), likely
    lesions found without labels are replaced by normal-looking tissue in ``image``;
    the untouched image is kept as ``raw``.

    Raises:
        MedsslError: No records, a record without the ROI map the preset needs, or an
            organ that is empty after preprocessing.
    """
    from pathlib import Path

    from medssl.data.folder import pair_path
    from medssl.preprocess import PreprocessCache

    if not records:
        raise MedsslError("layer decomposition needs at least one training image; got none")
    cache = PreprocessCache(cache_dir)
    pipeline = pipeline_of(preset.train_steps)
    volumes = []
    for record in records:
        roi_path = record.roi
        if roi_path is None and roi_rule:
            roi_path = pair_path(Path(record.image), roi_rule, case=record.id, what="ROI")
        if preset.roi_labels is not None and roi_path is None:
            raise MedsslError(
                f"preset '{preset.name}' needs an organ label map (labels {list(preset.roi_labels)}) "
                f"as the ROI of {record.image}; set method_options.roi_rule or give a CSV roi column"
            )
        sample = cache.get(
            record.image, pipeline, roi_path=roi_path, series=getattr(record, "series", None)
        )
        roi = np.asarray(sample.roi) if sample.roi is not None else np.asarray(sample.image) != 0
        if preset.roi_labels is not None:
            roi = np.isin(roi, preset.roi_labels)
        roi = roi > 0
        if not roi.any():
            raise MedsslError(f"organ mask is empty after preprocessing: {record.image}")
        image = np.asarray(sample.image, dtype=np.float32)
        raw = None
        if lesion_fill is not None:
            from medssl.methods.ld.lesion_fill import remove_lesions

            raw = image
            image, _ = remove_lesions(image, roi, tuple(sample.spacing), lesion_fill)
        volumes.append(
            Volume(
                str(record.id),
                image,
                roi,
                tuple(sample.spacing),
                np.flatnonzero(roi),
                border_value(image),
                raw,
            )
        )
    return volumes


def border_value(image: np.ndarray) -> float:
    """Median of the volume's outer faces: the value to pad crops with (0 around a brain)."""
    faces = [image[0], image[-1], image[:, 0], image[:, -1], image[:, :, 0], image[:, :, -1]]
    return float(np.median(np.concatenate([f.ravel() for f in faces])))


def crop_around(
    array: np.ndarray, centre: np.ndarray, size: Sequence[int], fill: float
) -> np.ndarray:
    """A ``size`` crop centred on ``centre`` (clamped inside; padded with ``fill``)."""
    out = np.full(tuple(size), fill, dtype=array.dtype)
    src, dst = [], []
    for c, n, s in zip(centre, array.shape, size):
        start = int(np.clip(c - s // 2, 0, max(n - s, 0)))
        length = min(s, n)
        src.append(slice(start, start + length))
        off = (s - length) // 2
        dst.append(slice(off, off + length))
    out[tuple(dst)] = array[tuple(src)]
    return out


class LDDataset(Dataset):
    """Synthetic (and optionally real) layer-decomposition items, item ``i`` from ``(seed, i)``.

    Without a length: the engine reads index = stream position, an endless stream.

    Item (a dict of float32 tensors): ``x``, ``x_n``, ``s``, ``m`` of shape
    (1, *patch_size), ``alpha`` and ``real`` of shape ().
    """

    def __init__(
        self,
        volumes: list[Volume],
        preset: LDPreset,
        *,
        seed: int,
        synthesis: dict[str, Any] | None = None,
        real_fraction: float = 0.0,
        textures: list[Volume] | None = None,
    ) -> None:
        from medssl.synthesis.config import preset as synthesis_preset

        self.volumes, self.preset, self.seed = volumes, preset, int(seed)
        self.textures = list(textures or [])  # extra texture donors (never normal layers)
        self.config = synthesis_preset(preset.synthesis, **(synthesis or {}))
        self.real_fraction = float(real_fraction)
        self.post = [pipeline_of([s]).steps[0] for s in preset.post_steps]

    def rng(self, index: int, tag: int = _TAG_ITEM) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, tag, int(index)]))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.make(self.rng(index))

    def _crop(
        self, rng: np.random.Generator, v: Volume, *, raw: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        centre = np.unravel_index(v.organ_voxels[rng.integers(v.organ_voxels.size)], v.roi.shape)
        size, fill = self.preset.patch_size, v.fill
        image = v.raw if raw and v.raw is not None else v.image
        return (
            crop_around(image, np.asarray(centre), size, fill),
            crop_around(v.roi, np.asarray(centre), size, False),
        )

    def make(self, rng: np.random.Generator, *, allow_real: bool = True) -> dict[str, torch.Tensor]:
        """One item from a generator (the deterministic part is the synthesis')."""
        from medssl.synthesis.compose import synthesize

        n = len(self.volumes)
        i = int(rng.integers(n))
        if self.textures:  # donors: the other normal volumes, then the texture volumes
            k = int(rng.integers(n - 1 + len(self.textures)))
            donor = self.volumes[k + (k >= i)] if k < n - 1 else self.textures[k - (n - 1)]
        else:
            j = int((i + 1 + rng.integers(n - 1)) % n) if n > 1 else i
            donor = self.volumes[j]
        real = allow_real and rng.random() < self.real_fraction
        vi = self.volumes[i]
        x_n, roi = self._crop(rng, vi, raw=real)
        zero = np.zeros_like(x_n)
        if real:  # the scan as it is (lesions and all), reconstruction loss only
            return self._item(x_n, x_n, zero, zero, 1.0, True)
        for _ in range(3):
            other, other_roi = self._crop(rng, donor)
            try:
                t = synthesize(
                    x_n,
                    other,
                    roi,
                    params_or_rng=rng,
                    spacing=vi.spacing,
                    config=self.config,
                    other_roi=other_roi,
                )
            except MedsslError:  # no tumour fits this crop's organ: try another crop
                x_n, roi = self._crop(rng, vi)
                continue
            return self._item(
                t.image, t.normal, t.texture, t.mask.astype(np.float32), float(t.alpha), False
            )
        return self._item(x_n, x_n, zero, zero, 0.0, False)

    def _item(self, x, x_n, s, m, alpha: float, real: bool) -> dict[str, torch.Tensor]:
        x, x_n, s = self._post(x), self._post(x_n), np.where(m > 0, self._post(s), 0)
        tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]
        return {
            "x": tensor(x),
            "x_n": tensor(x_n),
            "s": tensor(s),
            "m": tensor(m),
            "alpha": torch.tensor(alpha, dtype=torch.float32),
            "real": torch.tensor(float(real), dtype=torch.float32),
        }

    def _post(self, array: np.ndarray) -> np.ndarray:
        """The preset's intensity steps (e.g. the CT window), applied after synthesis."""
        from medssl.preprocess import State

        for step in self.post:
            array = step.apply(State(image=array.astype(np.float32), affine=np.eye(4)))[0].image
        return array


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
            (``true`` for the defaults of :mod:`medssl.methods.ld.lesion_fill`, or a
            mapping of its options; brain FLAIR only). Real items keep the raw scan.
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
        roi_rule: str | None = None,
        cache_dir: str | None = None,
        val_samples: int = 8,
        val_seed: int = 1234,
        lesion_fill: bool | dict[str, Any] | None = None,
        texture_data: dict[str, Any] | None = None,
    ) -> None:
        from medssl.methods.ld.lesion_fill import lesion_fill_options
        from medssl.synthesis.config import SynthesisConfig
        from medssl.synthesis.config import preset as synthesis_preset

        self.preset = ld_preset(preset, spacing=spacing, patch_size=patch_size, window=window)
        loss = check_fields(LDLossConfig, loss, method=self.name, group="loss")
        synthesis = check_fields(SynthesisConfig, synthesis, method=self.name, group="synthesis")
        synthesis_preset(self.preset.synthesis, **synthesis)  # bad values fail here, not later
        self.loss_cfg = (
            LDLossConfig.ablation(ablation, **loss) if ablation else LDLossConfig(**loss)
        )
        if not 0.0 <= float(real_fraction) <= 1.0:
            raise MedsslError(f"real_fraction must be in [0, 1]; got {real_fraction}")
        if real_fraction > 0 and not self.loss_cfg.use_recon:
            raise MedsslError("real_fraction > 0 needs the reconstruction loss (use_recon: true)")
        if int(val_samples) < 1:
            raise MedsslError(f"val_samples must be >= 1; got {val_samples}")
        self.synthesis, self.real_fraction = dict(synthesis or {}), float(real_fraction)
        self.roi_rule, self.cache_dir = roi_rule, cache_dir
        self.val_samples, self.val_seed = int(val_samples), int(val_seed)
        self.lesion_fill = lesion_fill_options(lesion_fill)
        self.texture_data = _texture_options(texture_data, self.preset)
        if self.lesion_fill is not None and self.preset.modality != "FLAIR":
            raise MedsslError(
                f"lesion_fill is for brain FLAIR (left-right symmetric brains); "
                f"preset '{self.preset.name}' is {self.preset.modality}"
            )
        self.dataset: LDDataset | None = None
        self._val: list[dict[str, torch.Tensor]] | None = None

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        return {"patch_size": tuple(self.preset.patch_size), "window": tuple(self.preset.window)}

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
        )
        textures = None
        if self.texture_data is not None:
            from medssl.data import load_records

            spec = self.texture_data
            textures = load_volumes(
                load_records(spec["data"], rois=spec["roi_rule"]),
                ld_preset(spec["preset"], spacing=self.preset.spacing),
                cache_dir=self.cache_dir,
            )
        self.dataset = LDDataset(
            volumes,
            self.preset,
            seed=seed,
            synthesis=self.synthesis,
            real_fraction=self.real_fraction,
            textures=textures,
        )
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
        if self.dataset is None:
            raise MedsslError("validate() needs make_dataset() to have run first")
        if self._val is None:
            self._val = [
                self.dataset.make(
                    np.random.default_rng([self.val_seed, _TAG_VAL, k]), allow_real=False
                )
                for k in range(self.val_samples)
            ]
        return self._val

    @torch.no_grad()
    def validate(self, model: torch.nn.Module, cfg: Any) -> dict[str, float]:
        """``val_loss`` and ``val_dice_sim`` on the simulated validation set."""
        device = next(model.parameters()).device
        items = self.validation_set()
        size = max(1, int(getattr(cfg, "batch_size", 2)))
        losses, inter, total = [], 0.0, 0.0
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            batch = {k: torch.stack([it[k] for it in chunk]).to(device) for k in chunk[0]}
            out = model(batch["x"]).float()
            loss, _ = ld_loss(out, batch, self.loss_cfg)
            losses.append(float(loss) * len(chunk))
            pred = (out[:, 2:3] > 0).float()
            inter += float((pred * batch["m"]).sum())
            total += float(pred.sum() + batch["m"].sum())
        dice = 2.0 * inter / total if total > 0 else 1.0
        return {"val_loss": sum(losses) / len(items), "val_dice_sim": dice}
