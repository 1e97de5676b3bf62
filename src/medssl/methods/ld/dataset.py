"""The layer-decomposition data stream: cached volumes and the item dataset.

Each record's image is preprocessed once by the preset's pipeline
(:mod:`medssl.methods.ld.presets`) and cached on disk (:class:`PreprocessCache`); a
record's brain mask must lie on its image's grid (:func:`check_mask_fits`). An item
draws, from its own generator seeded by ``(seed, index)``: a normal volume ``i``, a
different texture volume ``j``, optionally a domain-randomised look of each
(:mod:`medssl.methods.ld.randomise` for MRI, normalised again;
:mod:`medssl.methods.ld.ct_randomise` for CT, in HU), a crop of ``patch_size`` centred on a random
organ voxel of each (kept inside the volume; a volume smaller than the crop is padded
with the median of its outer faces, 0 around a brain), the synthesis parameters and,
with probability ``real_fraction``, turns the item into a real unlabelled crop trained
with the reconstruction loss alone (α = 1). With ``periventricular`` > 0, that share
of the synthetic items draws its tumour centres next to the ventricles
(:func:`near_ventricles`). With ``empty_fraction`` > 0, that share of the synthetic
items keeps its normal crop without any tumour (x = x_n, m = 0, α = 0), so that the
mask head also learns that a normal organ holds nothing. A crop whose organ fits no
tumour is re-drawn up to three times, then used without a tumour (m = 0, α = 0). All
of it runs in the DataLoader workers.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from medssl.errors import MedsslError
from medssl.methods.ld.ct_randomise import CTRandomisationConfig
from medssl.methods.ld.presets import LDPreset, pipeline_of
from medssl.methods.ld.randomise import RandomisationConfig

_TAG_ITEM, _TAG_VAL = 11, 12


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
    ventricles: np.ndarray | None = None  # bool, next to the ventricles (near_ventricles)


NORMALISERS = ("zscore", "robust_scale", "percentile_scale", "histogram_standardise")


def intensity_step(preset: LDPreset) -> Any:
    """The preset's in-brain normalisation step (what randomised volumes are normalised with).

    Raises:
        MedsslError: A preset without one (CT presets use a fixed HU window).
    """
    for config in preset.train_steps:
        if config["name"] in NORMALISERS:
            return pipeline_of([config]).steps[0]
    raise MedsslError(
        f"domain randomisation needs an MRI preset with an in-brain normalisation; "
        f"'{preset.name}' has none"
    )


def check_mask_fits(image_path: str, mask_path: str, *, outside_max: float = 0.01) -> None:
    """Refuse a brain mask that does not fit its image.

    It must lie on the image's grid (shape, affine to 1e-3 mm) and hold at least
    ``1 − outside_max`` of the image's nonzero voxels (a skull-stripped scan is 0
    outside its brain).

    Raises:
        MedsslError: One line naming both files and what does not fit.
    """
    from medssl.io import read_geometry, read_image

    a, b = read_geometry(image_path), read_geometry(mask_path)
    what = f"brain mask {mask_path} does not fit its image {image_path}"
    if a.shape != b.shape:
        raise MedsslError(f"{what}: shape {b.shape} vs {a.shape}")
    if not np.allclose(a.affine, b.affine, atol=1e-3, rtol=0):
        diff = float(np.abs(a.affine - b.affine).max())
        raise MedsslError(f"{what}: affines differ by up to {diff:.3g} mm")
    image = read_image(image_path).array != 0
    mask = read_image(mask_path).array > 0
    if not mask.any():
        raise MedsslError(f"{what}: the mask is empty")
    outside = float((image & ~mask).sum()) / max(1.0, float(image.sum()))
    if outside > outside_max:
        raise MedsslError(
            f"{what}: {outside:.1%} of the image's nonzero voxels lie outside the mask "
            f"(at most {outside_max:.0%} allowed)"
        )


def near_ventricles(
    image: np.ndarray,
    roi: np.ndarray,
    spacing: tuple[float, float, float],
    *,
    depth_mm: float = 15.0,
    reach_mm: float = 8.0,
    dark_percentile: float = 5.0,
) -> np.ndarray:
    """Brain voxels within ``reach_mm`` of deep dark fluid: the ventricles of a FLAIR.

    Dark (below the brain's ``dark_percentile``) voxels at least ``depth_mm`` from
    the brain's edge are ventricular CSF (sulcal CSF lies near the edge).

    Shape:
        ``image``, ``roi``: (X, Y, Z); returns bool (X, Y, Z).
    """
    from scipy import ndimage

    roi = np.asarray(roi, dtype=bool)
    if not roi.any():
        return roi
    depth = ndimage.distance_transform_edt(roi, sampling=spacing)
    dark = roi & (image < np.percentile(image[roi], dark_percentile)) & (depth >= depth_mm)
    if not dark.any():
        return np.zeros_like(roi)
    reach = ndimage.distance_transform_edt(~dark, sampling=spacing)
    return roi & ~dark & (reach <= reach_mm)


def load_volumes(
    records: Sequence[Any],
    preset: LDPreset,
    *,
    cache_dir: str | None = None,
    roi_rule: str | None = None,
    lesion_fill: dict[str, float] | None = None,
    lesion_fill_ids: Sequence[str] | None = None,
) -> list[Volume]:
    """Preprocess (or read from the cache) every record's image and organ mask.

    With ``lesion_fill`` (options of :mod:`medssl.methods.ld.lesion_fill`, or of
    :mod:`medssl.methods.ld.ct_lesion_fill` for a CT preset), likely
    lesions found without labels are replaced by normal-looking tissue in ``image``;
    the untouched image is kept as ``raw``. ``lesion_fill_ids`` limits it to the
    records of those ids (default: every record).

    Raises:
        MedsslError: No records, a record without the ROI map the preset needs, an
            organ that is empty after preprocessing, or a ``lesion_fill_ids`` entry that
            names no record.
    """
    from pathlib import Path

    from medssl.data.folder import pair_path
    from medssl.preprocess import PreprocessCache

    if not records:
        raise MedsslError("layer decomposition needs at least one training image; got none")
    if lesion_fill_ids is not None:
        missing = sorted(set(lesion_fill_ids) - {str(r.id) for r in records})
        if missing:
            raise MedsslError(
                f"lesion_fill_ids must name training records; no record has the id(s) "
                f"{', '.join(missing)} (ids: {', '.join(str(r.id) for r in records)})"
            )
    cache = PreprocessCache(cache_dir)
    pipeline = pipeline_of(preset.train_steps)
    volumes = []
    for record in records:
        roi_path = record.roi
        if roi_path is None and roi_rule:
            roi_path = pair_path(Path(record.image), roi_rule, case=record.id, what="ROI")
        if roi_path is not None and preset.roi_labels is None:
            check_mask_fits(str(record.image), str(roi_path))
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
        fill = lesion_fill_ids is None or str(record.id) in lesion_fill_ids
        if lesion_fill is not None and fill:
            from medssl.methods.ld.ct_lesion_fill import remove_ct_lesions
            from medssl.methods.ld.lesion_fill import remove_lesions

            remove = remove_lesions if preset.modality == "FLAIR" else remove_ct_lesions
            raw = image
            image, _ = remove(image, roi, tuple(sample.spacing), lesion_fill)
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


def _crop_slices(centre, shape, size) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Where a ``size`` crop centred on ``centre`` reads the volume, and where it writes."""
    src, dst = [], []
    for c, n, s in zip(centre, shape, size):
        start = int(np.clip(c - s // 2, 0, max(n - s, 0)))
        length = min(s, n)
        src.append(slice(start, start + length))
        off = (s - length) // 2
        dst.append(slice(off, off + length))
    return tuple(src), tuple(dst)


def crop_around(
    array: np.ndarray, centre: np.ndarray, size: Sequence[int], fill: float
) -> np.ndarray:
    """A ``size`` crop centred on ``centre`` (clamped inside; padded with ``fill``)."""
    out = np.full(tuple(size), fill, dtype=array.dtype)
    src, dst = _crop_slices(centre, array.shape, size)
    out[dst] = array[src]
    return out


def paste_around(array: np.ndarray, crop: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """A copy of ``array`` with ``crop`` (from :func:`crop_around`) written back in place."""
    out = np.array(array, dtype=np.float32)
    src, dst = _crop_slices(centre, array.shape, crop.shape)
    out[src] = crop[dst]
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
        randomisation: RandomisationConfig | CTRandomisationConfig | None = None,
        periventricular: float = 0.0,
        empty_fraction: float = 0.0,
    ) -> None:
        from medssl.synthesis.config import preset as synthesis_preset

        self.volumes, self.preset, self.seed = volumes, preset, int(seed)
        self.randomisation = randomisation
        if isinstance(randomisation, CTRandomisationConfig) and preset.modality != "CT":
            raise MedsslError(
                f"CT randomisation needs a CT preset; '{preset.name}' is {preset.modality}"
            )
        self.normaliser = (
            intensity_step(preset) if isinstance(randomisation, RandomisationConfig) else None
        )
        self.periventricular = float(periventricular)
        if self.periventricular > 0:
            for v in self.volumes:
                if v.ventricles is None:
                    v.ventricles = near_ventricles(v.image, v.roi, v.spacing)
        self.textures = list(textures or [])  # extra texture donors (never normal layers)
        self.config = synthesis_preset(preset.synthesis, **(synthesis or {}))
        self.real_fraction = float(real_fraction)
        self.empty_fraction = float(empty_fraction)
        self.post = [pipeline_of([s]).steps[0] for s in preset.post_steps]
        self.relative = any(step.name == "organ_window" for step in self.post)
        if self.relative and getattr(randomisation, "after_synthesis", False):
            raise MedsslError("organ_window with randomise.after_synthesis is not supported")

    def rng(self, index: int, tag: int = _TAG_ITEM) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, tag, int(index)]))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.make(self.rng(index))

    def drawn(self, index: int) -> dict[str, Any]:
        """The randomisation parameters item ``index`` was made with (replayed)."""
        record: dict[str, Any] = {}
        self.make(self.rng(index), record=record)
        return record

    def _normalise(self, image: np.ndarray, roi: np.ndarray) -> np.ndarray:
        from medssl.preprocess import State

        state = State(image=image, affine=np.eye(4), roi=roi.astype(np.uint8))
        return self.normaliser.apply(state)[0].image

    def _look(
        self,
        rng: np.random.Generator,
        v: Volume,
        image: np.ndarray,
        on: bool,
        record: dict,
        key: str,
    ) -> np.ndarray:
        """``image`` of ``v``, randomised when ``on`` (parameters into ``record[key]``)."""
        if not on or self.randomisation is None:
            return image
        out, record[key] = self._randomised(rng, v, image)
        return out

    def _randomised(self, rng: np.random.Generator, v: Volume, image: np.ndarray):
        """One randomised look of a whole volume of ``v`` and the parameters drawn."""
        if isinstance(self.randomisation, CTRandomisationConfig):
            from medssl.methods.ld.ct_randomise import randomise_ct

            return randomise_ct(image, v.roi, v.spacing, rng, self.randomisation)
        from medssl.methods.ld.randomise import randomise

        return randomise(image, v.roi, v.spacing, rng, self.randomisation, self._normalise)

    def _crop(
        self,
        rng: np.random.Generator,
        v: Volume,
        *,
        raw: bool = False,
        image: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """A crop of the image, its organ mask, its periventricular region (or None), centre."""
        centre = np.asarray(
            np.unravel_index(v.organ_voxels[rng.integers(v.organ_voxels.size)], v.roi.shape)
        )
        size, fill = self.preset.patch_size, v.fill
        if image is None:
            image = v.raw if raw and v.raw is not None else v.image
        ventricles = None
        if v.ventricles is not None:
            ventricles = crop_around(v.ventricles, centre, size, False)
        return (
            crop_around(image, centre, size, fill),
            crop_around(v.roi, centre, size, False),
            ventricles,
            centre,
        )

    def _scan_look(
        self, rng: np.random.Generator, v: Volume, centre: np.ndarray, crops: list, record: dict
    ) -> list[np.ndarray]:
        """Crops of one scan given a randomised look together, after synthesis.

        Each crop (the scan with its tumour, its normal layer) is written back into
        ``v``'s volume, which is randomised as a whole with the same draw for every crop
        (one bias field, one blur, one noise image), and cropped again: the tumour takes
        the scan's look, like a real one.
        """
        out = []
        for crop in crops:
            replay = copy.deepcopy(rng)
            full, record["scan"] = self._randomised(replay, v, paste_around(v.image, crop, centre))
            out.append(crop_around(full, centre, self.preset.patch_size, v.fill))
        rng.bit_generator.state = replay.bit_generator.state  # the draw is used once
        return out

    def make(
        self, rng: np.random.Generator, *, allow_real: bool = True, record: dict | None = None
    ) -> dict[str, torch.Tensor]:
        """One item from a generator; ``record`` receives the randomisation drawn."""
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
        record = {} if record is None else record
        on_normal, on_donor = self.randomisation.targets() if self.randomisation else (False, False)
        after = on_normal and not real and self.randomisation.after_synthesis
        base = vi.raw if real and vi.raw is not None else vi.image
        normal_image = self._look(rng, vi, base, on_normal and not after, record, "normal")
        donor_image = self._look(rng, donor, donor.image, on_donor and not real, record, "donor")
        x_n, roi, ventricles, centre = self._crop(rng, vi, image=normal_image)
        zero = np.zeros_like(x_n)
        organ = lambda crop: self._organ(vi, normal_image, crop, centre)
        if real:  # the scan as it is (lesions and all), reconstruction loss only
            return self._item(x_n, x_n, zero, zero, 1.0, True, organ(x_n))
        # drawn only when on, so that the streams of runs without it are unchanged
        if self.empty_fraction > 0 and rng.random() < self.empty_fraction:
            if after:
                (x_n,) = self._scan_look(rng, vi, centre, [x_n], record)
            return self._item(x_n, x_n, zero, zero, 0.0, False, organ(x_n))
        for _ in range(3):
            other, other_roi, _, _ = self._crop(rng, donor, image=donor_image)
            periventricular = rng.random() < self.periventricular
            try:
                t = synthesize(
                    x_n,
                    other,
                    roi,
                    params_or_rng=rng,
                    spacing=vi.spacing,
                    config=self.config,
                    other_roi=other_roi,
                    centre_roi=ventricles if periventricular else None,
                    organ_mm3=float(vi.organ_voxels.size * np.prod(vi.spacing)),
                )
            except MedsslError:  # no tumour fits this crop's organ: try another crop
                x_n, roi, ventricles, centre = self._crop(rng, vi, image=normal_image)
                continue
            x, normal, texture, m = t.image, t.normal, t.texture, t.mask.astype(np.float32)
            if after:  # the tumour layer that re-composes the new scan: x = (1 - αm) x_n + αm s
                x, normal = self._scan_look(rng, vi, centre, [x, normal], record)
                texture = np.where(m > 0, normal + (x - normal) / float(t.alpha), 0.0)
            return self._item(x, normal, texture, m, float(t.alpha), False, organ(x))
        if after:
            (x_n,) = self._scan_look(rng, vi, centre, [x_n], record)
        return self._item(x_n, x_n, zero, zero, 0.0, False, organ(x_n))

    def _organ(
        self, v: Volume, image: np.ndarray, crop: np.ndarray, centre: np.ndarray
    ) -> tuple[float, float] | None:
        """Median and IQR of the whole organ of ``image`` with ``crop`` (the scan seen) pasted
        back: what inference measures inside a given organ mask, lesions included."""
        if not self.relative:
            return None
        from medssl.preprocess.ct_window import organ_stats

        return organ_stats(paste_around(image, crop, centre), v.roi, source=v.id)

    def _item(
        self, x, x_n, s, m, alpha: float, real: bool, organ: tuple[float, float] | None = None
    ) -> dict[str, torch.Tensor]:
        post = lambda a: self._post(a, organ)
        x, x_n, s = post(x), post(x_n), np.where(m > 0, post(s), 0)
        tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]
        return {
            "x": tensor(x),
            "x_n": tensor(x_n),
            "s": tensor(s),
            "m": tensor(m),
            "alpha": torch.tensor(alpha, dtype=torch.float32),
            "real": torch.tensor(float(real), dtype=torch.float32),
        }

    def _post(self, array: np.ndarray, organ: tuple[float, float] | None = None) -> np.ndarray:
        """The preset's intensity steps (e.g. the CT window), applied after synthesis.

        ``organ``: the median and IQR an ``organ_window`` step takes (:meth:`_organ`).
        """
        from medssl.preprocess import State

        for step in self.post:
            if step.name == "organ_window":
                array = step.relative(array, *organ)
                continue
            array = step.apply(State(image=array.astype(np.float32), affine=np.eye(4)))[0].image
        return array
