"""Time loading one BraTS case through preprocessing: NIfTI decode each time vs cache.

Run from the repository root::

    python benchmarks/bench_cache.py --repeats 5

Uses ``../shared/data/brats_dev`` (or ``$MEDSSL_SHARED_DATA``): FLAIR + label,
240×240×155, through ``preset("brain_flair")``. The cache lives in a temporary
folder and is filled once before timing; the cached path includes touching every
voxel (a sum), so memory-mapped reads are not timed as free.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from medssl.io import read_image, read_label
from medssl.preprocess import PreprocessCache, preset

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MEDSSL_SHARED_DATA", REPO.parent / "shared" / "data"))


def _touch(sample) -> float:
    return float(np.asarray(sample.image).sum()) + float(np.asarray(sample.label).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed loads per variant")
    parser.add_argument("--case", default="brats_2013_pat0003_1", help="BraTS case folder")
    parser.add_argument("--grid", type=int, default=128, help="network grid (cube side)")
    args = parser.parse_args(argv)
    case = DATA / "brats_dev" / args.case
    image_path, label_path = case / "flair.nii.gz", case / "label.nii.gz"
    if not image_path.is_file():
        print(f"bench_cache: data not found at {case}", file=sys.stderr)
        return 2
    pipe = preset("brain_flair", grid=args.grid)

    def decode() -> float:
        image, label = read_image(image_path), read_label(label_path)
        return _touch(pipe.apply(image, label=label))

    with tempfile.TemporaryDirectory() as root:
        cache = PreprocessCache(root)
        cache.get(image_path, pipe, label_path)  # fill

        def cached() -> float:
            return _touch(cache.get(image_path, pipe, label_path))

        reference, again = decode(), cached()
        if abs(reference - again) > 1e-3 * max(1.0, abs(reference)):
            raise RuntimeError(f"cached sample differs from a fresh one: {again} vs {reference}")
        times = {}
        for name, fn in (("decode NIfTI + preprocess", decode), ("from cache (mmap)", cached)):
            runs = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - start)
            times[name] = statistics.median(runs)
    print(
        f"case {args.case} (240x240x155 FLAIR + label) -> {args.grid}^3, median of {args.repeats}"
    )
    for name, seconds in times.items():
        print(f"  {name:28s} {seconds * 1000:9.1f} ms")
    slow, fast = times.values()
    print(f"  speed-up                     {slow / fast:9.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
