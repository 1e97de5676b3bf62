"""Time tumour synthesis per sample on one thread, and save slices for a visual check.

Usage::

    python benchmarks/bench_synthesis.py --size 128 --n 20

Uses two real FLAIR scans of ``../shared/data/brats_dev`` (pat0003 as the normal image,
pat0004 as the texture source) resampled to a ``size³`` grid over the head, or a smooth
synthetic head when the data are absent. Prints the mean and worst time per sample at
64³, 96³ and ``size³``. The reference code (the authors' public, VTK-based synthesis)
cannot run here, so no baseline is measured in this run: the 128³ line also prints the
ratio to its 5.7 s per sample, a constant measured once, separately, and labelled as
such. Writes a PNG of central slices through a few tumours to ``--png``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

# Not measured in this run: the reference code's time per 128³ sample, measured once apart.
REFERENCE_S_PER_128_EXTERNAL = 5.7
DATA = Path(
    os.environ.get("MEDSSL_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
CASES = ("brats_2013_pat0003_1", "brats_2013_pat0004_1")


Pair = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[float, float, float]]


def load_pair(size: int) -> Pair:
    """(normal, other, roi, other_roi, spacing) on a size³ grid over the brain's box."""
    folder = DATA / "brats_dev"
    if not folder.is_dir():
        return _synthetic_pair(size)
    import nibabel as nib

    images, masks = [], []
    for case in CASES:
        images.append(nib.load(folder / case / "flair.nii.gz").get_fdata(dtype=np.float32))
        masks.append(nib.load(folder / case / "brainmask.nii.gz").get_fdata(dtype=np.float32) > 0)
    lo = np.argwhere(masks[0]).min(0)
    hi = np.argwhere(masks[0]).max(0) + 1
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    zoom = [size / (b - a) for a, b in zip(lo, hi)]
    spacing = tuple(float(1.0 / z) for z in zoom)
    normal, other = (ndimage.zoom(im[box], zoom, order=1) for im in images)
    roi, other_roi = (ndimage.zoom(m[box].astype(np.float32), zoom, order=1) > 0.5 for m in masks)
    return normal, other, roi, other_roi, spacing


def _synthetic_pair(size: int) -> Pair:
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, size)] * 3, indexing="ij"))
    roi = (grid**2).sum(0) < 0.8
    spacing = (160.0 / size,) * 3
    pair = []
    for _ in range(2):
        image = ndimage.gaussian_filter(rng.normal(size=(size,) * 3), 2).astype(np.float32)
        image = (image - image[roi].mean()) / image[roi].std()
        pair.append(np.where(roi, image, image[roi].min()).astype(np.float32))
    return pair[0], pair[1], roi, roi, spacing


def bench(size: int, n: int, seed: int) -> tuple[list[float], list[float], list]:
    """Wall and CPU seconds per sample, and the samples."""
    from medssl.synthesis import brain, sample_rng, synthesize

    normal, other, roi, other_roi, spacing = load_pair(size)
    config = brain()
    options = {"spacing": spacing, "config": config, "other_roi": other_roi}
    synthesize(normal, other, roi, params_or_rng=sample_rng(seed, 10**6), **options)
    times, cpu_times, samples = [], [], []
    for index in range(n):
        start, cpu_start = time.perf_counter(), time.process_time()
        sample = synthesize(normal, other, roi, params_or_rng=sample_rng(seed, index), **options)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        samples.append(sample)
    return times, cpu_times, samples


def save_png(samples: list, path: Path, count: int = 4) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install 'medssl[plot]'); no PNG written")
        return
    fig, axes = plt.subplots(count, 4, figsize=(12, 3 * count))
    for row, sample in zip(axes, samples[:count]):
        z = int(np.argmax(sample.mask.sum(axis=(0, 1))))
        panels = (
            (sample.normal[:, :, z], "x_n"),
            (sample.image[:, :, z], f"x (alpha={sample.alpha:.2f})"),
            (sample.texture[:, :, z], f"s (r={sample.params.texture.intensity_ratio:.2f})"),
            (sample.mask[:, :, z], "m"),
        )
        low, high = np.percentile(sample.normal, [1, 99.8])
        for ax, (img, title) in zip(row, panels):
            kwargs = {"vmin": low, "vmax": high + 2} if title != "m" else {}
            ax.imshow(np.rot90(img), cmap="gray", **kwargs)
            ax.set_title(title)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"wrote {path}")


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="largest grid size")
    parser.add_argument("--n", type=int, default=20, help="samples per size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", type=Path, default=Path("/tmp/bench_synthesis.png"))
    args = parser.parse_args()

    print(f"data: {'brats_dev FLAIR' if (DATA / 'brats_dev').is_dir() else 'synthetic'}, 1 thread")
    samples = []
    print("per sample: wall mean / median / max, then CPU mean (other load inflates wall time)")
    for size in sorted({64, 96, args.size}):
        times, cpu_times, samples = bench(size, args.n, args.seed)
        mean, cpu = float(np.mean(times)), float(np.mean(cpu_times))
        line = f"{size}^3: wall {mean * 1000:6.1f} / {np.median(times) * 1000:6.1f} / "
        line += f"{max(times) * 1000:6.1f} ms   CPU {cpu * 1000:6.1f} ms"
        if size == 128:
            line += (
                f"   vs {REFERENCE_S_PER_128_EXTERNAL} s of the reference code (an external "
                f"constant, not measured in this run): {REFERENCE_S_PER_128_EXTERNAL / mean:.0f}x"
            )
        print(line)
    save_png(samples, args.png)


if __name__ == "__main__":
    main()
