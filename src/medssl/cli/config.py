"""``medssl config list`` and ``medssl config show NAME``: the shipped config presets."""

from __future__ import annotations

from typing import Annotated

import typer

config_app = typer.Typer(
    help="List or print the shipped config presets (usable as --config NAME).",
    no_args_is_help=True,
)


@config_app.command("list")
def list_configs() -> None:
    """Names of the shipped presets, with the first line of each."""
    from medssl.configs import config_names, shipped_config

    for name in config_names():
        first = shipped_config(name).read_text().splitlines()[:1]
        note = first[0].lstrip("# ").strip() if first and first[0].startswith("#") else ""
        typer.echo(f"{name:<24} {note}".rstrip())


@config_app.command("show")
def show_config(
    name: Annotated[str, typer.Argument(help="Preset name, e.g. genesis or ld_brain.")],
) -> None:
    """Print a shipped preset (redirect it to a file to edit it)."""
    from medssl.configs import shipped_config

    typer.echo(shipped_config(name).read_text(), nl=False)
