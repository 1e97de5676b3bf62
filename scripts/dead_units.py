"""Count an encoder's dead ReLU channels: channels that stay at zero on a random batch.

A channel that is zero for every voxel of every input gets no gradient in fine-tuning,
so it is capacity the downstream task never gets back. Reads no label.

    python scripts/dead_units.py runs/study_cpu/pretrain_*/encoder.pt --base-width 16
"""

from __future__ import annotations

import argparse

import torch

from medssl.models import create_model, load_encoder_weights


def dead_channels(encoder: torch.nn.Module, x: torch.Tensor) -> list[tuple[int, int]]:
    """``(dead, total)`` channels per encoder level, in train mode (batch statistics)."""
    encoder.train()
    with torch.no_grad():
        features = encoder(x)
    return [(int((f.amax(dim=(0, 2, 3, 4)) <= 0).sum()), f.shape[1]) for f in features]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="*", help="encoder.pt files (none: random init only)")
    parser.add_argument("--model", default="unet3d")
    parser.add_argument("--base-width", type=int, default=32)
    parser.add_argument("--size", type=int, default=64, help="side of the random input cube")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    x = torch.randn(2, 1, args.size, args.size, args.size)
    for path in ["random", *args.encoders]:
        net = create_model(args.model, in_channels=1, out_channels=2, base_width=args.base_width)
        if path != "random":
            load_encoder_weights(net, path)
        levels = dead_channels(net.encoder, x)
        cells = "  ".join(f"{d}/{t}" for d, t in levels)
        print(f"{path}: dead channels per level {cells}")


if __name__ == "__main__":
    main()
