"""``medssl predict``: segment scans with a fine-tuned model, each in its own grid."""

from __future__ import annotations

from pathlib import Path

import typer


def predict(
    images: list[Path] = typer.Argument(..., help="NIfTI/NRRD/MHA files or DICOM folders."),
    model: Path = typer.Option(..., "--model", help="Fine-tuned model (RUN/model.pt)."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
    overlap: float = typer.Option(0.5, "--overlap", help="Sliding-window overlap in [0, 1)."),
    mirror: bool = typer.Option(False, "--mirror", help="Test-time mirroring on all axes."),
    precision: str = typer.Option("bf16", "--precision", help="bf16 or fp32."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads."),
) -> None:
    """Predict label maps written in each input's exact grid (shape and affine)."""
    from medssl.segmentation.predict import predict as run

    written = run(
        images,
        model,
        out,
        overlap=overlap,
        mirror_axes=(0, 1, 2) if mirror else (),
        precision=precision,
        threads=threads,
    )
    for path in written:
        typer.echo(str(path))
