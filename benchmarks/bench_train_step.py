"""Seconds per training step: a plain fp32 loop against the medssl engine (precision and layout auto).

Both sides train the same network on the same synthetic data (a 64³ volume, batch 2,
reconstruction with an MSE loss, Adam):

- **baseline**: a hand-written fp32 loop in the default memory layout;
- **medssl**: :class:`medssl.engine.Trainer` with its CPU defaults: ``precision=auto`` (bf16 on
  a CPU with AVX512-BF16 or AMX, fp32 elsewhere; ``--precision bf16|fp32`` forces one)
  and ``channels_last`` left to the engine (channels_last_3d unless the network has
  instance-norm layers, as BasicUNet has); ``--layout channels_last|default`` forces
  one. The layout used is printed.

The network is MONAI's ``BasicUNet`` with features ``(32, 32, 64, 128, 256, 32)``
(``--net basicunet``, default) or medssl's own ``unet3d`` (``--net unet3d``). Each side
runs in its own subprocess so that its peak resident memory (``ru_maxrss``) is its own.

Usage::

    python benchmarks/bench_train_step.py [--steps 5] [--warmup 2] [--size 64] [--net basicunet]

Timings on a shared machine are noisy; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

import torch
from torch import nn

from medssl.config import PRECISIONS
from medssl.engine.precision import resolve_precision
from medssl.methods import Method


def build_net(name: str) -> nn.Module:
    """The benchmarked network (1 input channel, 1 output channel)."""
    if name == "basicunet":
        from monai.networks.nets import BasicUNet

        return BasicUNet(
            spatial_dims=3, in_channels=1, out_channels=1, features=(32, 32, 64, 128, 256, 32)
        )
    from medssl.models import create_model

    return create_model("unet3d", in_channels=1, out_channels=1)


def make_item(index: int, size: int) -> dict[str, torch.Tensor]:
    """Sample ``index``: a smooth-ish random volume and its noisy copy (seeded by index)."""
    g = torch.Generator().manual_seed(index)
    clean = torch.rand(1, size, size, size, generator=g)
    return {"x": clean + 0.1 * torch.randn(clean.shape, generator=g), "y": clean}


class _Stream(torch.utils.data.Dataset):
    def __init__(self, size: int) -> None:
        self.size = size

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return make_item(index, self.size)


class BenchMethod(Method):
    """Reconstruction with MSE on the benchmarked network; records step end times."""

    name = "bench"

    def __init__(self, net: str, size: int) -> None:
        self.net, self.size = net, size
        self.times: list[tuple[float, float]] = []

    def build_model(self, cfg) -> nn.Module:
        return build_net(self.net)

    def make_dataset(self, records, cfg, seed: int) -> torch.utils.data.Dataset:
        return _Stream(self.size)

    def loss(self, model, batch):
        return nn.functional.mse_loss(model(batch["x"]).float(), batch["y"]), {}

    def on_step_end(self, model, step: int) -> None:
        self.times.append((time.perf_counter(), time.process_time()))


def run_baseline(args: argparse.Namespace) -> list[tuple[float, float]]:
    """Plain fp32 loop; returns each step's (wall, CPU) seconds."""
    torch.manual_seed(0)
    model = build_net(args.net)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    times, last = [], (time.perf_counter(), time.process_time())
    for step in range(args.warmup + args.steps):
        items = [make_item(step * args.batch + j, args.size) for j in range(args.batch)]
        x = torch.stack([i["x"] for i in items])
        y = torch.stack([i["y"] for i in items])
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        now = (time.perf_counter(), time.process_time())
        times.append((now[0] - last[0], now[1] - last[1]))
        last = now
    return times[args.warmup :]


def run_medssl(args: argparse.Namespace) -> tuple[list[tuple[float, float]], str]:
    """The medssl Trainer (``--precision``, default auto); returns each step's (wall, CPU) seconds and the layout."""
    from medssl.config import TrainConfig
    from medssl.engine import Trainer

    method = BenchMethod(args.net, args.size)
    with tempfile.TemporaryDirectory() as out:
        cfg = TrainConfig(
            method="bench",
            model=args.net,
            steps=args.warmup + args.steps,
            batch_size=args.batch,
            lr=1e-4,
            precision=args.precision,
            channels_last={"auto": None, "channels_last": True, "default": False}[args.layout],
            num_workers=0,
            ckpt_every=0,
            log_every=1000,
            progress=False,
            out=f"{out}/run",
        )
        trainer = Trainer(method, cfg)
        trainer.fit()
        layout = "channels_last_3d" if trainer.channels_last else "default layout"
    # Step i lasts from the end of step i-1 to its own end (loading included, as in the
    # baseline); warm-up steps (at least one) are dropped.
    durations = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(method.times, method.times[1:])]
    return durations[-args.steps :], layout


def cpu_bf16_support() -> str:
    """Which bf16 instructions the CPU reports (AMX-BF16 gives the large speed-ups)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return "unknown"
    found = [f for f in ("amx_bf16", "avx512_bf16") if f in flags]
    return ", ".join(found) or "none"


def _child(args: argparse.Namespace) -> None:
    if args.only == "baseline":
        times, layout = run_baseline(args), "default layout"
    else:
        times, layout = run_medssl(args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mib": peak_mib, "layout": layout}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="timed steps per side")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per side")
    parser.add_argument("--size", type=int, default=64, help="cube edge in voxels")
    parser.add_argument("--batch", type=int, default=2, help="batch size")
    parser.add_argument("--net", choices=("basicunet", "unet3d"), default="basicunet")
    parser.add_argument(
        "--layout",
        choices=("auto", "channels_last", "default"),
        default="auto",
        help="memory layout of the medssl side (auto: the engine's choice)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="precision of the medssl side (auto: bf16 where the CPU has it)",
    )
    parser.add_argument("--only", choices=("baseline", "medssl"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warmup < 1 or args.steps < 1:
        parser.error("--steps and --warmup must be >= 1")
    if args.only:
        _child(args)
        return
    results = {}
    for side in ("baseline", "medssl"):
        cmd = [
            sys.executable,
            __file__,
            "--only",
            side,
            "--steps",
            str(args.steps),
            "--warmup",
            str(args.warmup),
            "--size",
            str(args.size),
            "--batch",
            str(args.batch),
            "--net",
            args.net,
            "--layout",
            args.layout,
            "--precision",
            args.precision,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"{side} run failed:\n{proc.stderr[-3000:]}")
        results[side] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"network {args.net}, {args.size}^3, batch {args.batch}, {args.steps} timed steps "
        f"after {args.warmup} warm-up, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, CPU bf16: {cpu_bf16_support()}"
    )
    medians = {}
    used = resolve_precision(torch.device("cpu"), args.precision)
    for side, label in (("baseline", "plain fp32 loop"), ("medssl", f"medssl {used}")):
        wall = sorted(t[0] for t in results[side]["times"])
        cpu = sorted(t[1] for t in results[side]["times"])
        medians[side] = (wall[len(wall) // 2], cpu[len(cpu) // 2])
        print(
            f"{label:18s} median {medians[side][0]:7.3f} s/step wall (min {wall[0]:.3f}, "
            f"max {wall[-1]:.3f}), {medians[side][1]:7.3f} s/step CPU, "
            f"peak RSS {results[side]['peak_mib']:7.1f} MiB, {results[side]['layout']}"
        )
    print(
        f"speed-up {medians['baseline'][0] / medians['medssl'][0]:.2f}x wall, "
        f"{medians['baseline'][1] / medians['medssl'][1]:.2f}x CPU (target >= 2.5x)"
    )


if __name__ == "__main__":
    main()
