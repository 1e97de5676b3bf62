"""``medssl info IMAGE``: print an image's grid (shape, spacing, orientation, range)."""

from __future__ import annotations

from pathlib import Path

import typer


def info(
    images: list[Path] = typer.Argument(..., help="NIfTI/NRRD/MHA files or DICOM folders."),
    channel: int | None = typer.Option(None, help="Channel of a 4D image."),
    series: str | None = typer.Option(
        None, "--series", help="SeriesInstanceUID to read from a DICOM folder with several."
    ),
) -> None:
    """Show shape, spacing, orientation and intensity range of images."""
    import numpy as np

    from medssl.io import read_image

    for path in images:
        img = read_image(path, channel=channel, series=series)
        g = img.geometry
        a = img.array
        typer.echo(
            f"{path}: shape {g.shape}  spacing {tuple(round(s, 4) for s in g.spacing)} mm  "
            f"orientation {''.join(g.axcodes)}  range [{np.min(a):.4g}, {np.max(a):.4g}]"
        )
