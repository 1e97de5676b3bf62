"""Few-shot label transfer study: methods x number of supports x folds (Fig. 2, Table 2).

    python scripts/context_fewshot.py configs/context_fewshot.yaml --out runs/context_fewshot

For every query case and every number of supports ``n`` in ``supports``, every set of
``n`` other cases from ``support_pool`` is one fold. Each method (a context model
name or weights file, a baseline name, or ``register``) labels the query from the
fold's supports; Dice is computed per organ that both the query and every support
label. Writes to ``--out``:

- ``per_case.csv``: method, n, query, supports, organ, dice, upsampling, wall and CPU
  seconds of the query (descriptors, search and upsampling; registration for
  ``register``);
- ``fig2.csv`` / ``fig2.md`` / ``fig2.png``: mean Dice against the number of labelled
  scans, per method (the paper's Fig. 2);
- ``table2.md``: mean Dice per organ and method for each ``n`` (the paper's Table 2);
- ``upsampling.md``: ``interp`` against ``nearest`` for the k-NN methods.

Descriptors of a case are computed once per method and reused across folds.

The k-NN vote is the config's ``vote`` (the fields of
:class:`~medssl.methods.context.transfer.Vote`; default: the library's default). A
method may be ``{model: NAME, vote: paper}`` to use the paper's plain majority instead,
or ``{model: NAME, vote: {FIELD: VALUE}}`` to change fields of the config's vote.

A case may set ``mirror_lr: true`` when its file's header is mirrored left-right
against its anatomy (the liver on the header's left): its image and label are then
read with the world x axis negated, in memory; the files are never changed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import time
from pathlib import Path

import numpy as np
import yaml

from medssl.io import Geometry, Image, read_image, read_label
from medssl.methods.context.describers import load_describer
from medssl.methods.context.register import RegistrationTransfer
from medssl.methods.context.transfer import LabelTransfer, Vote


class MemoDescriber:
    """A describer that remembers the descriptors of volumes it has seen."""

    def __init__(self, describer) -> None:
        self.describer, self.dim, self.memo = describer, describer.dim, {}

    def __call__(self, volume: np.ndarray) -> np.ndarray:
        key = hashlib.sha1(np.ascontiguousarray(volume).tobytes()).hexdigest()
        if key not in self.memo:
            self.memo[key] = self.describer(volume)
        return self.memo[key]


def dice(pred: np.ndarray, ref: np.ndarray) -> float:
    """Dice of two masks; NaN when both are empty."""
    total = int(pred.sum()) + int(ref.sum())
    return float("nan") if total == 0 else 2.0 * int((pred & ref).sum()) / total


def folds(cases: dict, pool: list[str], sizes: list[int]):
    """(n, query, supports) for every query case and every support set of size n."""
    for n in sizes:
        for query in cases:
            others = [c for c in pool if c != query]
            for combo in itertools.combinations(others, n):
                yield n, query, list(combo)


def mirrored_lr(image: Image) -> Image:
    """The same voxels with the world x (left-right) axis negated."""
    affine = np.diag([-1.0, 1.0, 1.0, 1.0]) @ image.geometry.affine
    return Image(image.array, Geometry(image.geometry.shape, affine, image.geometry.source))


def run(
    config: dict, out: Path, only: list[str] | None = None, queries: list[str] | None = None
) -> list[dict]:
    base = Path(config.get("root", "."))
    fix = lambda c, image: mirrored_lr(image) if c.get("mirror_lr") else image
    cases = {
        name: {
            "image": fix(c, read_image(base / c["image"])),
            "label": fix(c, read_label(str(base / c["label"]))),
            "organs": [int(v) for v in c["organs"]],
        }
        for name, c in config["cases"].items()
    }
    names = {int(k): v for k, v in config["organs"].items()}
    default_vote = Vote(**config.get("vote", {}))
    rows, describers = [], {}
    for method, spec in config["methods"].items():
        if only and method not in only:
            continue
        spec = spec if isinstance(spec, dict) else {"model": spec}
        model = spec["model"]
        vote = spec.get("vote")
        if isinstance(vote, dict):  # fields of Vote over the config's default vote
            vote = Vote(**(config.get("vote", {}) | vote))
        else:
            vote = Vote.paper() if vote == "paper" else default_vote
        if model != "register" and model not in describers:
            describers[model] = MemoDescriber(load_describer(model))
        describer = describers.get(model)
        for n, query, supports in folds(cases, config["support_pool"], config["supports"]):
            if queries and query not in queries:
                continue
            organs = sorted(set(cases[query]["organs"]).intersection(
                *[cases[s]["organs"] for s in supports]))  # fmt: skip
            if not organs:
                continue
            if describer is None:
                tool = RegistrationTransfer(labels=organs)
            else:
                tool = LabelTransfer(describer, k=config.get("k", 21), labels=organs, vote=vote)
            for s in supports:
                tool.add_support(cases[s]["image"], cases[s]["label"])
            wall, cpu = time.perf_counter(), time.process_time()
            if describer is None:
                results = {"-": tool.predict(cases[query]["image"]).labels}
            else:
                fractions, sample, _ = tool.votes(cases[query]["image"])
                results = {
                    mode: tool.labels_from_votes(fractions, sample, upsample=mode)
                    for mode in ("interp", "nearest")
                }
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ref = cases[query]["label"].array
            for mode, labels in results.items():
                for organ in organs:
                    rows.append({
                        "method": method, "n": n, "query": query, "supports": "+".join(supports),
                        "organ": names.get(organ, str(organ)), "dice": dice(labels == organ, ref == organ),
                        "upsampling": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                    })  # fmt: skip
            print(method, n, query, supports, f"{wall:.1f}s", flush=True)
    return rows


def write_tables(rows: list[dict], out: Path, *, upsampling: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "per_case.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    main = [r for r in rows if r["upsampling"] in (upsampling, "-")]
    methods = list(dict.fromkeys(r["method"] for r in main))
    sizes = sorted({r["n"] for r in main})
    organs = list(dict.fromkeys(r["organ"] for r in main))

    def mean(sel):
        values = [r["dice"] for r in sel if not np.isnan(r["dice"])]
        return float(np.mean(values)) if values else float("nan")

    fig = {
        (m, n): mean([r for r in main if r["method"] == m and r["n"] == n])
        for m in methods
        for n in sizes
    }
    with open(out / "fig2.csv", "w") as f:
        f.write("method," + ",".join(f"n={n}" for n in sizes) + "\n")
        f.writelines(m + "," + ",".join(f"{fig[m, n]:.4f}" for n in sizes) + "\n" for m in methods)
    lines = ["| method | " + " | ".join(f"{n} support(s)" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]  # fmt: skip
    lines += [f"| {m} | " + " | ".join(f"{fig[m, n]:.3f}" for n in sizes) + " |" for m in methods]
    (out / "fig2.md").write_text("\n".join(lines) + "\n")
    t2 = []
    for n in sizes:
        t2 += [f"\n**{n} support(s)** (mean Dice over folds; per-query seconds wall/CPU)\n",
               "| method | " + " | ".join(organs) + " | mean | s/query (wall, CPU) |",
               "|---|" + "---|" * (len(organs) + 2)]  # fmt: skip
        for m in methods:
            sel = [r for r in main if r["method"] == m and r["n"] == n]
            cells = [mean([r for r in sel if r["organ"] == o]) for o in organs]
            secs = {(r["query"], r["supports"]): (r["wall_s"], r["cpu_s"]) for r in sel}
            w = np.mean([s[0] for s in secs.values()]) if secs else float("nan")
            c = np.mean([s[1] for s in secs.values()]) if secs else float("nan")
            t2.append(f"| {m} | " + " | ".join(f"{v:.3f}" for v in cells)
                      + f" | {mean(sel):.3f} | {w:.1f}, {c:.1f} |")  # fmt: skip
    (out / "table2.md").write_text("\n".join(t2) + "\n")
    knn = [r for r in rows if r["upsampling"] != "-"]
    up = ["| method | interp | nearest |", "|---|---|---|"]
    for m in dict.fromkeys(r["method"] for r in knn):
        up.append(f"| {m} | " + " | ".join(
            f"{mean([r for r in knn if r['method'] == m and r['upsampling'] == u]):.3f}"
            for u in ("interp", "nearest")) + " |")  # fmt: skip
    (out / "upsampling.md").write_text("\n".join(up) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    plt.figure(figsize=(5, 4))
    for m in methods:
        plt.plot(sizes, [fig[m, n] for n in sizes], marker="o", label=m)
    plt.xlabel("labelled support scans")
    plt.ylabel("mean Dice")
    plt.xticks(sizes)
    plt.legend()
    plt.grid(alpha=0.3)
    plt.tight_layout()
    plt.savefig(out / "fig2.png", dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", nargs="*", help="Run only these methods.")
    parser.add_argument("--queries", nargs="*", help="Run only these query cases.")
    parser.add_argument(
        "--append",
        action="store_true",
        help="Keep the rows of OUT/per_case.csv of the other (method, query) pairs.",
    )
    args = parser.parse_args()
    config = yaml.safe_load(args.config.read_text())
    rows = run(config, args.out, args.only, args.queries)
    old = args.out / "per_case.csv"
    if args.append and old.is_file():
        with open(old) as f:
            done = {(x["method"], x["query"]) for x in rows}
            kept = [r for r in csv.DictReader(f) if (r["method"], r["query"]) not in done]
        for r in kept:
            r["n"], r["dice"] = int(r["n"]), float(r["dice"])
            r["wall_s"], r["cpu_s"] = float(r["wall_s"]), float(r["cpu_s"])
        rows = kept + rows
    write_tables(rows, args.out, upsampling=config.get("upsample", "interp"))
    print((args.out / "table2.md").read_text())


if __name__ == "__main__":
    main()
