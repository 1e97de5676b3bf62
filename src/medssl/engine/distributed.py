"""Process-group set-up for ``torchrun``: the same code runs with one process or many.

``torchrun --nproc_per_node N [--nnodes M ...]`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; :func:`init_distributed` reads them, picks NCCL on CUDA and gloo on CPU,
and returns a :class:`DistInfo`. Without those variables it returns a single-process
info and initialises nothing.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import torch
import torch.distributed as dist

from medssl.errors import MedsslError


@dataclasses.dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the run.

    Attributes:
        rank: Global rank (0 writes logs and checkpoints).
        world_size: Number of processes.
        local_rank: Rank on this machine (selects the GPU).
        device: The device this process trains on.
        owns_group: True if :func:`init_distributed` created the process group.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = dataclasses.field(default_factory=lambda: torch.device("cpu"))
    owns_group: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` → CUDA when available, else CPU.

    Raises:
        MedsslError: If ``cuda`` is asked for and none is available.
    """
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise MedsslError("device 'cuda' was asked for but no CUDA GPU is available")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise MedsslError(f"environment variable {name} must be an integer; got '{value}'")


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the torchrun process group when there is one.

    Args:
        device: ``auto``, ``cpu`` or ``cuda``.

    Returns:
        This process's :class:`DistInfo`.
    """
    world = _env_int("WORLD_SIZE", 1)
    _rank, local_rank = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    dev = pick_device(device, local_rank)
    if world <= 1:
        return DistInfo(device=dev)
    owns = False
    if not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        kwargs: dict[str, Any] = {"device_id": dev} if dev.type == "cuda" else {}
        dist.init_process_group(backend=backend, init_method="env://", **kwargs)
        owns = True
    return DistInfo(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=local_rank,
        device=dev,
        owns_group=owns,
    )


def has_batchnorm(model: torch.nn.Module) -> bool:
    """Whether ``model`` holds a BatchNorm layer (1D, 2D or 3D)."""
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def sync_batchnorm(model: torch.nn.Module, info: DistInfo, *, enabled: bool) -> bool:
    """Whether to compute BatchNorm statistics over every rank's batch (SyncBatchNorm).

    True when ``enabled``, the run is distributed, it trains on CUDA and the network has
    BatchNorm layers. On CPU (gloo) the answer is False: torch's SyncBatchNorm refuses
    CPU tensors, so each process keeps its own batch statistics there.
    """
    return enabled and info.distributed and info.device.type == "cuda" and has_batchnorm(model)


def convert_batchnorm(model: torch.nn.Module, info: DistInfo, *, enabled: bool) -> torch.nn.Module:
    """``model`` with its BatchNorm layers as SyncBatchNorm when :func:`sync_batchnorm` says so.

    The converted layers share the original parameters and buffers (same state-dict
    keys), so checkpoints and exported weights load into the plain network.
    """
    if not sync_batchnorm(model, info, enabled=enabled):
        return model
    return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)


def barrier(info: DistInfo) -> None:
    """Wait for every process (no-op with one process)."""
    if info.distributed:
        dist.barrier()


def mean_across(value: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Average a tensor over processes (identity with one process)."""
    if not info.distributed:
        return value
    value = value.detach().clone()
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    return value / info.world_size


def max_across(value: int, info: DistInfo) -> int:
    """The largest of every rank's integer (the value itself with one process)."""
    if not info.distributed:
        return value
    box = torch.tensor([value], dtype=torch.int64, device=info.device)
    dist.all_reduce(box, op=dist.ReduceOp.MAX)
    return int(box.item())


def gather_objects(obj: Any, info: DistInfo) -> list[Any]:
    """Every rank's ``obj``, in rank order (``[obj]`` with one process)."""
    if not info.distributed:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any, info: DistInfo) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not info.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shutdown(info: DistInfo) -> None:
    """Destroy the process group if this module created it."""
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()
