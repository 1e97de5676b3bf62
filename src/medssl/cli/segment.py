"""``medssl segment IMAGE [IMAGE ...] --out DIR``: zero-shot tumour masks in each input's grid."""

from __future__ import annotations

from pathlib import Path

import typer


def segment(
    images: list[Path] = typer.Argument(..., help="NIfTI/NRRD/MHA files or DICOM folders."),
    out: Path = typer.Option(..., "--out", help="Output folder; gets OUT/<input file name>."),
    model: str | None = typer.Option(
        None, "--model", help="Weights file of an 'ld' model, or a shipped name "
        "(default: ld_brain_flair)."),
    save_layers: bool = typer.Option(
        False, "--save-layers", help="Also write <stem>_normal.nii.gz and <stem>_tumour.nii.gz."),
    threshold: float = typer.Option(0.5, "--threshold", help="Mask probability threshold."),
    baseline: str | None = typer.Option(
        None, "--baseline", help="'zscore': label-free FLAIR threshold instead of the network."),
    z: float = typer.Option(2.0, "--z", help="Baseline threshold in brain standard deviations."),
    min_voxels: int = typer.Option(
        100, "--min-voxels", help="Baseline cleanup: smallest connected component kept."),
    panel: bool = typer.Option(False, "--panel", help="Write <stem>_panel.png (needs matplotlib)."),
    label: Path | None = typer.Option(
        None, "--label", help="Ground truth shown in the panel (one image only)."),
    tta: bool = typer.Option(False, "--tta", help="Average over the 8 axis flips."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch."),
) -> None:
    """Segment tumours without labels by layer decomposition (or the z-score baseline)."""
    import sys

    from medssl.errors import MedsslError
    from medssl.zeroshot.segment import segment_files

    if threads is not None:
        if threads < 1:
            raise MedsslError(f"--threads must be >= 1; got {threads}")
        import torch

        torch.set_num_threads(threads)

    def warn(text: str) -> None:
        print(f"medssl: warning: {text}", file=sys.stderr)

    written = segment_files(
        images, out, model=model, threshold=threshold, save_layers=save_layers,
        baseline=baseline, z=z, min_voxels=min_voxels, panel=panel, label=label, mirror=tta,
        warn=warn,
    )
    typer.echo(f"wrote {len(written)} mask(s) to {out}")
