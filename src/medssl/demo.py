"""``make demo``: zero-shot tumour segmentation on the brain FLAIR shipped with medssl.

Runs, through the ``medssl`` command line:

1. ``medssl info`` on the sample FLAIR (BraTS case, 2 mm; see ``medssl/samples``), a
   source the shipped model never trained on (its model card lists its data);
2. the label-free z-score threshold baseline (``medssl segment --baseline zscore``);
3. the shipped layer-decomposition model (``medssl segment --save-layers --panel``),
   when its weights file is present;
4. ``medssl evaluate`` of each mask against the shipped manual label (whole tumour),
   and a side-by-side summary.

Everything is written to ``demo_out/`` (or the folder given as the first argument).
"""

from __future__ import annotations

import csv
import shlex
import sys
import time
from pathlib import Path

WT = "wt=1+2+3+4"


def _medssl(args: list[str]) -> None:
    from medssl.cli.main import main as cli

    print(f"\n$ medssl {shlex.join(args)}", flush=True)
    try:
        cli(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise SystemExit(f"demo step failed: medssl {shlex.join(args)}") from None


def _dice_hd95(metrics_csv: Path) -> tuple[str, str]:
    with open(metrics_csv, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["case"] == "mean" and row["label"] == "wt":
                return row["dice"], row["hd95_mm"]
    raise SystemExit(f"no whole-tumour summary in {metrics_csv}")


def main(argv: list[str] | None = None) -> None:
    from medssl.errors import MedsslError
    from medssl.inference.ld_model import resolve_model_path
    from medssl.samples import sample_path

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "demo_out")
    start = time.perf_counter()
    flair, label = sample_path("brain_flair"), sample_path("brain_label")
    name = flair.name
    _medssl(["info", str(flair)])

    def segment_and_score(title: str, tag: str, *options: str) -> None:
        """``medssl segment`` into OUT/tag, then ``medssl evaluate`` against the label."""
        _medssl(["segment", str(flair), "--out", str(out / tag), *options])
        metrics = out / f"{tag}_metrics.csv"
        _medssl(
            ["evaluate", str(out / tag / name), str(label), "--labels", WT, "--out", str(metrics)]
        )
        results[title] = _dice_hd95(metrics)

    results: dict[str, tuple[str, str]] = {}
    for z in ("1.5", "2.0"):
        segment_and_score(
            f"z-score threshold baseline (z > {z})",
            "baseline_z" + z.replace(".", ""),
            *("--baseline", "zscore", "--z", z),
        )
    try:
        resolve_model_path(None)
    except MedsslError as exc:  # the shipped weights are not in this copy
        print(f"\nskipping the layer-decomposition model: {exc}")
    else:
        segment_and_score(
            "layer decomposition (shipped model, zero-shot)",
            "layer_decomposition",
            *("--save-layers", "--panel", "--label", str(label)),
        )

    print(
        "\nWhole-tumour agreement with the manual label of the shipped sample "
        "(BraTS 2013 pat0006, 2 mm; the shipped model was trained without BraTS, "
        "see its model card):"
    )
    for method, (dice, hd95) in results.items():
        print(f"  {method:<50} Dice {float(dice):.3f}   HD95 {float(hd95):6.1f} mm")
    print(
        f"\noutputs in {out}/ (open the masks over the FLAIR in 3D Slicer); "
        f"demo took {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
