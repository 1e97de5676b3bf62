"""``medssl transfer QUERY... --support IMAGE LABEL [...] --model NAME --out DIR``.

k-NN label transfer with 2.5D context descriptors: label one scan, segment the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medssl.errors import MedsslError

_HELP = (
    "Label QUERY scans from labelled support scans by k-NN on context descriptors. "
    "Usage: medssl transfer QUERY... --support IMAGE LABEL [--support IMAGE LABEL ...] "
    "--model NAME_OR_PATH --out DIR [--labels 1 2 3] [--k 21] [--position aligned] [--balance-power 0.5] [--plain-vote]. --model: "
    "context2d_heatmap "
    "(shipped), xavier, gvdiff, register (elastix atlas registration), or a RUN/model.pt "
    "of a context method. Outputs are named and checked as by medssl predict."
)


def parse_extra(args: list[str]) -> tuple[list[str], list[tuple[str, str]], list[int] | None]:
    """Split the free arguments into queries, ``--support IMAGE LABEL`` pairs and ``--labels``.

    Raises:
        MedsslError: A ``--support`` without two values, a non-integer label or an
            unknown option.
    """
    queries: list[str] = []
    supports: list[tuple[str, str]] = []
    labels: list[int] | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--support":
            pair = args[i + 1 : i + 3]
            if len(pair) != 2 or any(p.startswith("--") for p in pair):
                raise MedsslError("--support takes two values: IMAGE LABEL")
            supports.append((pair[0], pair[1]))
            i += 3
        elif arg == "--labels":
            labels = labels or []
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                for part in args[i].split(","):
                    if part.strip():
                        try:
                            labels.append(int(part))
                        except ValueError:
                            raise MedsslError(
                                f"--labels takes whole numbers; got '{part}'"
                            ) from None
                i += 1
        elif arg.startswith("--"):
            raise MedsslError(f"unknown option '{arg}' for transfer")
        else:
            queries.append(arg)
            i += 1
    return queries, supports, labels


def transfer(
    ctx: typer.Context,
    model: Annotated[
        str, typer.Option("--model", help="context2d_heatmap, xavier, gvdiff or a model.pt.")
    ] = "context2d_heatmap",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("transfer_out"),
    k: Annotated[int, typer.Option("--k", help="Neighbours per vote.")] = 21,
    upsample: Annotated[
        str, typer.Option("--upsample", help="interp (vote fractions) or nearest.")
    ] = "interp",
    position: Annotated[
        str,
        typer.Option(
            "--position",
            help="Body-box position appended to the descriptors: xyz, xy, none, or aligned (xyz in the first support's box after an affine registration).",
        ),
    ] = "aligned",
    position_weight: Annotated[
        float, typer.Option("--position-weight", help="Weight of the position.")
    ] = 16.0,
    balanced: Annotated[
        bool,
        typer.Option(
            "--balanced/--plain-vote",
            help="Divide each class's votes by its share of the supports (default), "
            "or count them plainly. --position none --plain-vote is the paper's vote.",
        ),
    ] = True,
    balance_power: Annotated[
        float,
        typer.Option(
            "--balance-power",
            help="Power p of the balanced vote, votes / share^p, in [0, 1] (1: every class "
            "equally likely a priori).",
        ),
    ] = 0.5,
    largest_piece: Annotated[
        bool,
        typer.Option(
            "--largest-piece/--all-pieces",
            help="Keep only each label's largest connected piece (an organ is one piece), "
            "or every piece the vote gives.",
        ),
    ] = False,
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads.")] = None,
    device: Annotated[
        str, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")
    ] = "auto",
    continue_on_error: Annotated[
        bool,
        typer.Option(
            "--continue-on-error",
            help="Go on past failing queries; list them at the end and exit non-zero.",
        ),
    ] = False,
) -> None:
    """Label query scans from labelled support scans (k-NN on context descriptors)."""
    from medssl.inference.transfer import transfer_files
    from medssl.methods.context.transfer import Vote

    if threads is not None:
        if threads < 1:
            raise MedsslError(f"--threads must be >= 1; got {threads}")
        import torch

        torch.set_num_threads(threads)
    vote = Vote(
        position=position,
        position_weight=position_weight,
        balanced=balanced,
        balance_power=balance_power,
        largest_piece=largest_piece,
    )
    queries, supports, labels = parse_extra(list(ctx.args))
    written = transfer_files(
        queries,
        supports,
        model,
        out,
        k=k,
        labels=labels,
        upsample=upsample,
        vote=vote,
        device=device,
        continue_on_error=continue_on_error,
    )
    for path in written:
        typer.echo(str(path))


transfer.__doc__ = _HELP
SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True}
