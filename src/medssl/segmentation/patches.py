"""Random training patches from labelled volumes, reproducible from (seed, index)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from medssl.errors import MedsslError
from medssl.segmentation.augment import AugmentConfig, build_augmentation


def crop_or_pad(
    array: np.ndarray, start: Sequence[int], size: Sequence[int], *, fill: float = 0.0
) -> np.ndarray:
    """Crop ``array[..., start:start+size]`` over the last 3 axes, padding outside with ``fill``.

    Shape:
        array: (..., X, Y, Z) → (..., *size).
    """
    out = np.full(array.shape[:-3] + tuple(size), fill, dtype=array.dtype)
    src, dst = [], []
    for s, n, dim in zip(start, size, array.shape[-3:]):
        lo, hi = max(s, 0), min(s + n, dim)
        if hi <= lo:
            return out
        src.append(slice(lo, hi))
        dst.append(slice(lo - s, hi - s))
    out[(..., *dst)] = array[(..., *src)]
    return out


def check_patch_fits(shape: Sequence[int], patch: Sequence[int], *, pad: bool, source: str) -> None:
    """Raise when a patch is larger than the volume and padding is off."""
    if len(patch) != 3 or any(int(p) < 1 for p in patch):
        raise MedsslError(f"patch size must be 3 positive integers; got {tuple(patch)}")
    if not pad and any(p > s for p, s in zip(patch, shape)):
        raise MedsslError(
            f"patch {tuple(patch)} is larger than the image {tuple(shape)} of {source} "
            "and padding is off; use a smaller patch or allow padding"
        )


def draw_patch_start(
    rng: np.random.Generator,
    label: np.ndarray,
    patch: Sequence[int],
    *,
    foreground_fraction: float,
    foreground: np.ndarray | None = None,
) -> tuple[int, int, int]:
    """Patch corner: centred on a random foreground voxel with probability
    ``foreground_fraction`` (nnU-Net oversampling), else uniform over the volume.

    ``foreground`` may hold ``np.flatnonzero(label)`` computed once per volume."""
    shape = label.shape
    use_foreground = rng.random() < foreground_fraction
    if use_foreground and foreground is None:
        foreground = np.flatnonzero(label)  # only when it is needed
    if use_foreground and len(foreground):
        centre = np.unravel_index(foreground[rng.integers(len(foreground))], shape)
        jitter = [int(rng.integers(-(p // 4), p // 4 + 1)) for p in patch]
        return tuple(int(c) - p // 2 + j for c, p, j in zip(centre, patch, jitter))
    return tuple(int(rng.integers(min(0, s - p), max(0, s - p) + 1)) for s, p in zip(shape, patch))


class PatchDataset(torch.utils.data.Dataset):
    """Augmented (image, label) patches for supervised fine-tuning.

    Item ``i`` is a deterministic function of ``(seed, i)``: the case, the patch
    position and every augmentation draw.

    Args:
        images: Preprocessed volumes, each (C, X, Y, Z) float32.
        labels: Class-index maps (X, Y, Z), same spatial shape as the image.
        patch: Patch size (X, Y, Z).
        length: Number of items (the engine asks for ``steps × batch``).
        seed: Run seed.
        foreground_fraction: Share of patches centred on foreground.
        augment: Augmentation config; ``None`` disables it.
        pad: Allow patches larger than a volume (zero padding).
        names: Case names, for error messages.

    Shape:
        item["image"]: (C, *patch) float32; item["label"]: (1, *patch) int64.
    """

    def __init__(
        self,
        images: Sequence[np.ndarray],
        labels: Sequence[np.ndarray],
        *,
        patch: Sequence[int],
        length: int,
        seed: int,
        foreground_fraction: float = 1 / 3,
        augment: AugmentConfig | None = None,
        pad: bool = True,
        names: Sequence[str] | None = None,
    ) -> None:
        if len(images) == 0:
            raise MedsslError("no training cases: the labelled set is empty")
        names = list(names) if names is not None else [f"case {i}" for i in range(len(images))]
        for image, label, name in zip(images, labels, names):
            if image.shape[1:] != label.shape:
                raise MedsslError(
                    f"{name}: image shape {image.shape[1:]} and label shape {label.shape} differ"
                )
            check_patch_fits(label.shape, patch, pad=pad, source=name)
        self.images, self.labels = list(images), list(labels)
        self.foreground = [np.flatnonzero(label) for label in self.labels]  # once, not per item
        self.patch = tuple(int(p) for p in patch)
        self.length, self.seed = int(length), int(seed)
        self.foreground_fraction = foreground_fraction
        self.transform = build_augmentation(augment) if augment is not None else None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, int(index)])
        case = int(rng.integers(len(self.images)))
        label = self.labels[case]
        start = draw_patch_start(
            rng,
            label,
            self.patch,
            foreground_fraction=self.foreground_fraction,
            foreground=self.foreground[case],
        )
        image = crop_or_pad(self.images[case], start, self.patch)
        target = crop_or_pad(label, start, self.patch)[None]
        sample = {"image": torch.from_numpy(image), "label": torch.from_numpy(target).float()}
        if self.transform is not None:
            self.transform.set_random_state(seed=int(rng.integers(2**31 - 1)))
            sample = self.transform(sample)
        image_t = _plain(sample["image"]).float().contiguous()
        label_t = _plain(sample["label"]).round().long().contiguous()
        return {"image": image_t, "label": label_t}


def _plain(x) -> torch.Tensor:
    """A plain tensor (MONAI returns MetaTensors, which collate and pickle slower)."""
    return x.as_tensor() if hasattr(x, "as_tensor") else torch.as_tensor(x)
