"""Time and peak memory of label transfer for one query and one support, vs registration.

    python benchmarks/bench_transfer.py QUERY SUPPORT_IMAGE SUPPORT_LABEL \
        [--model context2d_heatmap] [--labels 1 2 3 5] [--threads 2] [--no-register]

Prints, for the k-NN transfer (after the model is loaded) and for the registration
baseline in the same run: wall seconds, CPU seconds, and the peak resident memory
growth of the process (``ru_maxrss``) during each, plus the stage times of the k-NN
path (preprocess, descriptors, search, upsampling and the inverse to the query grid,
writing the full-resolution map).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query")
    parser.add_argument("support_image")
    parser.add_argument("support_label")
    parser.add_argument("--model", default="context2d_heatmap")
    parser.add_argument("--labels", type=int, nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-register", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from medssl.io import read_image, read_label, write_image
    from medssl.methods.context.describers import load_describer
    from medssl.methods.context.register import RegistrationTransfer
    from medssl.methods.context.transfer import LabelTransfer

    query = read_image(args.query)
    support = (read_image(args.support_image), read_label(args.support_label))
    describer = load_describer(args.model)
    base = peak_mb()
    out = Path(tempfile.mkdtemp()) / "pred.nii.gz"

    wall, cpu = time.perf_counter(), time.process_time()
    knn = LabelTransfer(describer, labels=args.labels)
    knn.add_support(*support)
    knn.build()
    result = knn.predict(query)
    write_image(result.labels, query.geometry, out)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stages = " ".join(f"{k}={v:.2f}s" for k, v in result.seconds.items())
    print(f"knn ({args.model}): wall {wall:.2f} s, CPU {cpu:.2f} s, "
          f"peak memory +{peak_mb() - base:.0f} MB (process peak {peak_mb():.0f} MB); "
          f"query stages: {stages}")  # fmt: skip
    if args.no_register:
        return
    base = peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    reg = RegistrationTransfer(labels=args.labels)  # elastix picks its own threads
    reg.add_support(*support)
    result = reg.predict(query)
    write_image(result.labels, query.geometry, out)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"register (elastix affine+bspline): wall {wall:.2f} s, CPU {cpu:.2f} s, "
        f"peak memory +{peak_mb() - base:.0f} MB (process peak {peak_mb():.0f} MB)"
    )


if __name__ == "__main__":
    main()
