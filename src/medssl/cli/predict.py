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
    precision: str = typer.Option(
        "auto", "--precision", help="auto (bf16 where the hardware has it), bf16 or fp32."
    ),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda."),
    channel: int | None = typer.Option(
        None, "--channel", help="Channel of 4D images (default: the model's)."
    ),
    series: str | None = typer.Option(
        None, "--series", help="SeriesInstanceUID to read from a DICOM folder with several."
    ),
    continue_on_error: bool = typer.Option(
        False,
        "--continue-on-error",
        help="Go on past failing inputs; list them at the end and exit non-zero.",
    ),
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
        device=device,
        channel=channel,
        continue_on_error=continue_on_error,
        series=series,
    )
    for path in written:
        typer.echo(str(path))
