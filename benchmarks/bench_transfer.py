"""Time and peak memory of label transfer for one query, vs registration, in one run.

    python benchmarks/bench_transfer.py QUERY SUPPORT_IMAGE SUPPORT_LABEL \
        [--model context2d_heatmap] [--labels 1 2 3 5] [--threads 2] [--supports N] \
        [--no-register] [--position xyz aligned]

Prints, for the k-NN transfer (after the model is loaded) and for the registration
baseline in the same run, and the ratio of their wall times: wall seconds, CPU seconds, and the peak resident memory of
the process (``ru_maxrss``, and its growth during each), plus the stage times of the
k-NN path (support descriptors and index, then for the query: descriptors, search,
upsampling; the query goes through the inference loop of ``medssl transfer``, which
reads it, maps the labels back to its grid and writes the full-resolution map).

``--supports N`` uses N supports: the given one and N - 1 augmented copies of it
(flipped along the first axis every other copy, Gaussian noise of 10 HU from a seeded
generator), made in memory one at a time as ``medssl transfer`` reads its supports, so
that the database is N times as large without identical scans being described once.

``--position`` times the k-NN path once per vote position given (the default vote's
other settings), one after the other in the same run.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def augmented(image, label, index: int):
    """Copy ``index`` of a support: the scan itself for 0, else flipped and/or noisy."""
    import numpy as np

    from medssl.io import Image

    if index == 0:
        return image, label
    rng = np.random.default_rng(index)
    img, lab = np.asarray(image.array, np.float32), np.asarray(label.array)
    if index % 2:
        img, lab = img[::-1], lab[::-1]
    img = img + rng.normal(0.0, 10.0, img.shape).astype(np.float32)
    return Image(np.ascontiguousarray(img), image.geometry), Image(
        np.ascontiguousarray(lab), label.geometry
    )


def time_knn(args, knn, vote) -> float:
    """Time one k-NN transfer: supports and index, then the query through the loop; the wall seconds."""
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import plan_outputs
    from medssl.inference.transfer import TransferPredictor
    from medssl.io import read_image, read_label

    jobs = plan_outputs([args.query], tempfile.mkdtemp())
    base = peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.supports):
        image, label = read_image(args.support_image), read_label(args.support_label)
        knn.add_support(*augmented(image, label, i))
        del image, label
    knn.build()
    support_s = time.perf_counter() - wall
    predictor = TransferPredictor(knn)
    run_inference(jobs, predictor, progress=False, description="transfer")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stages = " ".join(f"{k}={v:.2f}s" for k, v in predictor.seconds.items())
    print(f"knn ({args.model}, position {vote.position}, {args.supports} support(s), database "
          f"{knn._index.ntotal} blocks, {type(knn._index).__name__}): wall {wall:.2f} s, "
          f"CPU {cpu:.2f} s, peak memory +{peak_mb() - base:.0f} MB (process peak "
          f"{peak_mb():.0f} MB); supports {support_s:.2f}s, query stages: {stages}")  # fmt: skip
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query")
    parser.add_argument("support_image")
    parser.add_argument("support_label")
    parser.add_argument("--model", default="context2d_heatmap")
    parser.add_argument("--labels", type=int, nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--supports", type=int, default=1, help="Number of supports.")
    parser.add_argument("--no-register", action="store_true")
    parser.add_argument("--position", nargs="*", default=[None], help="Vote positions to time.")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from medssl.inference.loop import run_inference
    from medssl.inference.outputs import plan_outputs
    from medssl.inference.transfer import TransferPredictor, build_transfer
    from medssl.io import read_image, read_label
    from medssl.methods.context.transfer import Vote

    knn_walls = []
    for position in args.position:
        vote = Vote() if position is None else Vote(position=position)
        knn_walls.append(
            time_knn(args, build_transfer(args.model, labels=args.labels, vote=vote), vote)
        )
    if args.no_register:
        return
    reg = build_transfer("register", labels=args.labels)
    base = peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.supports):  # elastix picks its own threads
        reg.add_support(
            *augmented(read_image(args.support_image), read_label(args.support_label), i)
        )
    run_inference(plan_outputs([args.query], tempfile.mkdtemp()), TransferPredictor(reg),
                  progress=False, description="register")  # fmt: skip
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"register (elastix affine+bspline, {args.supports} support(s)): wall {wall:.2f} s, "
        f"CPU {cpu:.2f} s, peak memory +{peak_mb() - base:.0f} MB (process peak {peak_mb():.0f} MB)"
    )
    ratios = ", ".join(f"{wall / k:.1f}x" for k in knn_walls)
    print(f"registration wall / k-NN wall (each k-NN run above, same process): {ratios}")


if __name__ == "__main__":
    main()
