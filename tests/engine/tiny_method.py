"""A tiny self-supervised method for engine tests (denoising a random 8³ volume)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from medssl.methods import Method


class TinyNet(nn.Module):
    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv3d(1, width, 3, padding=1), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Conv3d(width, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


class TinyDataset(Dataset):
    """Item ``i`` is reproducible from ``(seed, i)``; torch noise comes from the global RNG."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.seed = n, seed

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        clean = np.random.default_rng([self.seed, i]).normal(size=(1, 8, 8, 8)).astype(np.float32)
        clean_t = torch.from_numpy(clean)
        return {"x": clean_t + 0.3 * torch.randn(1, 8, 8, 8), "y": clean_t}


class TinyMethod(Method):
    """Denoising with optional failure, validation and split optimizers."""

    name = "tiny"

    def __init__(
        self,
        *,
        n: int = 10,
        fail_at: int | None = None,
        validate: bool = False,
        split: bool = False,
    ) -> None:
        self.n, self.fail_at, self.split = n, fail_at, split
        self.validates = validate

    def build_model(self, cfg) -> nn.Module:
        return TinyNet(**cfg.model_kwargs)

    def make_dataset(self, records, cfg, seed: int) -> Dataset:
        return TinyDataset(self.n, seed)

    def loss(self, model, batch):
        mse = nn.functional.mse_loss(model(batch["x"]).float(), batch["y"])
        return mse, {"mse": float(mse.detach())}

    def optimizers(self, model, cfg):
        if not self.split:
            return [("main", {"params": model.parameters()})]
        net = getattr(model, "module", model)
        return [
            ("encoder", {"params": net.encoder.parameters()}),
            ("head", {"params": net.head.parameters(), "lr_scale": 0.1}),
        ]

    def on_step_end(self, model, step: int) -> None:
        if self.fail_at is not None and step == self.fail_at:
            raise RuntimeError("simulated crash")

    @property
    def has_validation(self) -> bool:
        return self.validates

    def validate(self, model, cfg) -> dict[str, float]:
        x = torch.ones(1, 1, 8, 8, 8)
        return {"val_loss": float(((model(x) - x) ** 2).mean())}
