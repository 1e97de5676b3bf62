"""``medssl experiment``: a fine-tuning grid of methods × fractions × seeds (× folds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def experiment(
    config_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="CONFIG",
            help="Experiment YAML (methods, fractions, seeds, data), or a shipped preset name.",
        ),
    ] = None,
    config: Annotated[str | None, typer.Option("--config", help="The same, as an option.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Experiment folder.")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="Any config key: --set key=value (finetune.steps=2)."),
    ] = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Run no cell; rebuild results.csv and table.md.")
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Fine-tune every method × fraction × seed (× fold), predict and evaluate the test cases.

    Finished cells (OUT/cells/NAME/done.json) are skipped, so rerunning an interrupted
    grid continues it. Writes OUT/results.csv and OUT/table.md.
    """
    from medssl.config import parse_overrides
    from medssl.errors import MedsslError
    from medssl.experiments import load_experiment_config, run_experiment

    if config_arg is not None and config is not None and config_arg != config:
        raise MedsslError(f"give the config once: got '{config_arg}' and --config '{config}'")
    config = config or config_arg
    if config is None:
        raise MedsslError("experiment needs a config: medssl experiment --config FILE.yaml")

    overrides = parse_overrides(sets or [])
    if out is not None:
        overrides["out"] = str(out)
    cfg = load_experiment_config(config, overrides)
    result = run_experiment(cfg, report_only=report_only, progress=not no_progress)
    skipped = len(result.results) - len(result.ran)
    typer.echo(
        f"{len(result.ran)} cell(s) run, {skipped} already done; "
        f"results in {result.results_csv} and {result.table_md}"
    )
