"""Which device inference runs on: ``auto`` (CUDA when present), ``cpu`` or ``cuda``."""

from __future__ import annotations

from medssl.errors import MedsslError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | None = "auto") -> str:
    """The torch device name for ``--device``.

    Args:
        name: ``"auto"`` (or ``None``): ``"cuda"`` when a GPU is available, else
            ``"cpu"``; ``"cpu"``; ``"cuda"`` or ``"cuda:N"``.

    Raises:
        MedsslError: An unknown name, or CUDA asked for where there is none.
    """
    import torch

    name = "auto" if name is None else str(name).strip().lower()
    base = name.split(":", 1)[0]
    if base not in DEVICES or (base != "cuda" and ":" in name):
        raise MedsslError(f"device must be one of {', '.join(DEVICES)}; got '{name}'")
    if base == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if base == "cuda":
        if not torch.cuda.is_available():
            raise MedsslError(
                "--device cuda was asked for, but no CUDA GPU is available here "
                "(torch.cuda.is_available() is False); use --device cpu"
            )
        index = name.split(":", 1)[1] if ":" in name else "0"
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise MedsslError(
                f"device '{name}' does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA GPU(s)"
            )
    return name
