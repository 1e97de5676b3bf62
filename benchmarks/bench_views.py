"""Samples per second of the pretext-task sample makers, on one worker.

Measures, on a real preprocessed volume held in memory and with one torch thread
(as in one DataLoader worker): SAR multi-scale cube cutting, the Models Genesis
transforms (each alone and composed), and whole dataset items of every method. The
baseline, measured in the same run, is the cheapest possible sample: a random 64³
crop copied out of the volume; every line prints its time as a multiple of it.

Usage:
    python benchmarks/bench_views.py [--volume brats|spleen] [--n 50] [--data PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from medssl.errors import MedsslError
from medssl.io import read_image
from medssl.transforms import (
    GenesisConfig,
    GenesisTransform,
    RandomBezier,
    RandomFlip,
    RandomLocalShuffle,
    RandomPainting,
    RandomScaleCube,
)
from medssl.views import (
    make_genesis_dataset,
    make_jigsaw_dataset,
    make_rotation_dataset,
    make_rpl_dataset,
    make_sar_dataset,
)

DEFAULT_DATA = Path(
    os.environ.get("MEDSSL_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
VOLUMES = {
    "brats": ("brats_dev/brats_2013_pat0003_1/flair.nii.gz", "mr"),
    "spleen": ("body/spleen_8/image.nii.gz", "ct"),
}


def load_volume(data: Path, name: str) -> tuple[np.ndarray, str]:
    """Read a scan and scale it to [0, 1] (CT: window [-1000, 1000] HU; MR: min-max)."""
    relative, modality = VOLUMES[name]
    array = read_image(data / relative).array
    if modality == "ct":
        array = np.clip(array, -1000.0, 1000.0)
    lo, hi = float(array.min()), float(array.max())
    return ((array - lo) / (hi - lo)).astype(np.float32), modality


_BASELINE: list[float] = []


def rate(label: str, fn: Callable[[int], object], n: int) -> float:
    """Time ``fn(i)`` for ``n`` values of ``i`` after two warm-up calls; print the rate.

    The first call times the baseline; later lines print their ratio to it.
    """
    fn(-1 % n)
    fn(-2 % n)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    seconds = (time.perf_counter() - start) / n
    ratio = f"{seconds / _BASELINE[0]:9.2f}x baseline" if _BASELINE else "     (baseline)"
    _BASELINE.append(seconds)
    print(f"{label:<42} {1.0 / seconds:9.1f} samples/s {1000.0 * seconds:9.2f} ms/sample {ratio}")
    return seconds


def random_crop(volume: np.ndarray, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A copied random ``size³`` crop (clipped to the volume): the baseline sample."""
    starts = [int(rng.integers(0, max(1, s - size + 1))) for s in volume.shape]
    return volume[tuple(slice(a, a + size) for a in starts)].copy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume", choices=sorted(VOLUMES), default="brats")
    parser.add_argument("--n", type=int, default=50, help="samples per measurement")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / VOLUMES[args.volume][0]).exists():
        print(f"real scans not found under {args.data}; set --data or MEDSSL_SHARED_DATA")
        return 0

    torch.set_num_threads(1)
    volume, modality = load_volume(args.data, args.volume)
    print(f"volume {args.volume} {volume.shape} ({modality}), one thread, n={args.n}")
    n = args.n
    rng = np.random.default_rng(0)

    rate(
        "baseline: random 64³ crop (copy)",
        lambda i: random_crop(volume, np.random.default_rng(i)),
        n,
    )
    cubes = RandomScaleCube()
    sub = cubes(volume, rng)[0]
    rate("SAR cube (cut + trilinear resize)", lambda i: cubes(volume, np.random.default_rng(i)), n)
    steps = {
        "flip (p=1)": RandomFlip(p=1.0),
        "local shuffle (p=1, 10k windows)": RandomLocalShuffle(p=1.0),
        "bezier mapping (p=1)": RandomBezier(p=1.0),
        "in/out-painting (p=1)": RandomPainting(p=1.0),
    }
    for label, step in steps.items():
        rate(f"  {label}", lambda i, s=step: s(sub, np.random.default_rng(i)), n)
    genesis = GenesisTransform(GenesisConfig())
    rate(
        "Genesis transforms (paper probabilities)",
        lambda i: genesis(sub, np.random.default_rng(i)),
        n,
    )
    rate(
        "SAR cube + Genesis transforms",
        lambda i: genesis(cubes(volume, np.random.default_rng(i))[0], np.random.default_rng(i)),
        n,
    )

    kwargs = {"seed": 0, "length": max(n, 2), "modalities": modality}
    datasets = {
        "item: make_sar_dataset": make_sar_dataset([volume], **kwargs),
        "item: make_genesis_dataset": make_genesis_dataset([volume], **kwargs),
        "item: make_rotation_dataset (64³)": make_rotation_dataset([volume], **kwargs),
        "item: make_jigsaw_dataset (3³ × 24³)": make_jigsaw_dataset([volume], **kwargs),
        "item: make_rpl_dataset (2 × 24³)": make_rpl_dataset([volume], **kwargs),
    }
    for label, ds in datasets.items():
        try:
            rate(label, ds.__getitem__, n)
        except MedsslError as exc:  # e.g. a cube larger than this volume
            print(f"{label:<42} skipped: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
