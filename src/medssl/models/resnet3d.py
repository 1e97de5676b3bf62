"""3D ResNet encoders (ResNet-18/50) with a configurable output stride.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, with all
kernels made 3-D as in Chen et al., "Med3D: Transfer Learning for 3D Medical Image
Analysis", 2019. The output stride (8, 16 or 32) is set by replacing the stride of
the last stages with dilation, as in Chen et al., "DeepLabv3", 2017, so that an ASPP
decoder can sit on a stride-8 or stride-16 map. The output stride may differ per axis,
e.g. ``(16, 16, 8)`` for thin-slab inputs whose slice axis is short (PGL's 96×96×16).

Features returned (finest first): the stem (stride 2), then each of the four stages
(strides 4, 8, 16, 32 at output stride 32).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from medssl.errors import MedsslError
from medssl.models.base import check_input
from medssl.models.blocks import init_weights
from medssl.models.registry import MODELS

Triple = tuple[int, int, int]


def _triple(value: int | Sequence[int]) -> Triple:
    return (value,) * 3 if isinstance(value, int) else tuple(int(v) for v in value)  # type: ignore[return-value]


def _conv_bn(
    c_in: int,
    c_out: int,
    *,
    kernel: int,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
) -> nn.Sequential:
    stride, dilation = _triple(stride), _triple(dilation)
    padding = tuple(d * (kernel // 2) for d in dilation)
    return nn.Sequential(
        nn.Conv3d(
            c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, bias=False
        ),
        nn.BatchNorm3d(c_out),
    )


class BasicBlock(nn.Module):
    """Two 3×3×3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(
        self, c_in: int, planes: int, *, stride: Triple = (1, 1, 1), dilation: Triple = (1, 1, 1)
    ) -> None:
        super().__init__()
        c_out = planes * self.expansion
        self.conv1 = _conv_bn(c_in, planes, kernel=3, stride=stride, dilation=dilation)
        self.conv2 = _conv_bn(planes, c_out, kernel=3, dilation=dilation)
        self.shortcut = (
            _conv_bn(c_in, c_out, kernel=1, stride=stride)
            if max(stride) != 1 or c_in != c_out
            else nn.Identity()
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.relu(self.conv1(x)))
        return self.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1×1×1 → 3×3×3 (strided, dilated) → 1×1×1 with a residual connection (ResNet-50)."""

    expansion = 4

    def __init__(
        self, c_in: int, planes: int, *, stride: Triple = (1, 1, 1), dilation: Triple = (1, 1, 1)
    ) -> None:
        super().__init__()
        c_out = planes * self.expansion
        self.conv1 = _conv_bn(c_in, planes, kernel=1)
        self.conv2 = _conv_bn(planes, planes, kernel=3, stride=stride, dilation=dilation)
        self.conv3 = _conv_bn(planes, c_out, kernel=1)
        self.shortcut = (
            _conv_bn(c_in, c_out, kernel=1, stride=stride)
            if max(stride) != 1 or c_in != c_out
            else nn.Identity()
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.conv1(x))
        out = self.relu(self.conv2(out))
        return self.relu(self.conv3(out) + self.shortcut(x))


class ResNet3DEncoder(nn.Module):
    """A 3D ResNet returning the stem's and every stage's feature map.

    Args:
        block: ``"basic"`` (ResNet-18/34) or ``"bottleneck"`` (ResNet-50/101).
        layers: Number of blocks in each of the four stages, e.g. ``(3, 4, 6, 3)``.
        in_channels: Input channels.
        base_width: Channels of the stem; stage ``i`` has ``base_width · 2^i`` planes.
        output_stride: Stride of the last feature map: 32, 16 or 8, or one of these
            per axis, e.g. ``(16, 16, 8)`` (later stages use dilation instead of stride).

    Attributes:
        out_channels: Channels of the five feature maps (stem, stages 1-4).
        axis_strides: Their stride along each axis, e.g. ``(8, 8, 8)``.
        strides: Their largest stride over the axes, e.g. ``[2, 4, 8, 16, 32]`` or
            ``[2, 4, 8, 8, 8]`` (the same as ``axis_strides`` when isotropic).
        output_stride: ``axis_strides[-1]``.
        size_divisor: Input sizes must be multiples of this (the largest output stride).

    Raises:
        MedsslError: For an unknown block, not four stages or a bad output stride.

    Shape:
        ``(N, in_channels, X, Y, Z)`` → list of ``(N, out_channels[i], X/sx, Y/sy, Z/sz)``
        with ``(sx, sy, sz) = axis_strides[i]``.
    """

    def __init__(
        self,
        *,
        block: str,
        layers: Sequence[int],
        in_channels: int = 1,
        base_width: int = 64,
        output_stride: int | Sequence[int] = 32,
    ) -> None:
        super().__init__()
        blocks = {"basic": BasicBlock, "bottleneck": Bottleneck}
        if block not in blocks:
            raise MedsslError(f"block must be 'basic' or 'bottleneck'; got {block!r}")
        if len(layers) != 4 or min(layers) < 1:
            raise MedsslError(f"layers must be 4 positive block counts; got {list(layers)}")
        target = _triple(output_stride) if not isinstance(output_stride, str) else ()
        if len(target) != 3 or any(t not in (8, 16, 32) for t in target):
            raise MedsslError(f"output_stride must be 8, 16 or 32; got {output_stride}")
        if in_channels < 1 or base_width < 1:
            raise MedsslError(
                f"in_channels and base_width must be >= 1; got {in_channels} and {base_width}"
            )
        block_cls = blocks[block]
        self.in_channels: int = in_channels
        self.stem = nn.Sequential(
            _conv_bn(in_channels, base_width, kernel=7, stride=2), nn.ReLU(inplace=True)
        )
        self.pool = nn.MaxPool3d(kernel_size=3, stride=2, padding=1)
        out_channels, axis_strides = [base_width], [(2, 2, 2)]
        stride, dilation, c_in = [4, 4, 4], [1, 1, 1], base_width
        self.stages = nn.ModuleList()
        for i, n_blocks in enumerate(layers):
            step = [1, 1, 1] if i == 0 else [2, 2, 2]
            first_dilation = tuple(dilation)
            for a in range(3):
                if i > 0 and stride[a] * 2 > target[a]:
                    dilation[a], step[a] = dilation[a] * 2, 1
            planes = base_width * 2**i
            stage = [block_cls(c_in, planes, stride=tuple(step), dilation=first_dilation)]
            c_in = planes * block_cls.expansion
            stage += [
                block_cls(c_in, planes, dilation=tuple(dilation)) for _ in range(n_blocks - 1)
            ]
            self.stages.append(nn.Sequential(*stage))
            stride = [s * t for s, t in zip(stride, step)]
            out_channels.append(c_in)
            axis_strides.append(tuple(stride))
        self.out_channels: list[int] = out_channels
        self.axis_strides: list[Triple] = axis_strides  # type: ignore[assignment]
        self.strides: list[int] = [max(s) for s in axis_strides]
        self.output_stride: Triple = target  # type: ignore[assignment]
        self.size_divisor: int = max(target)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of the stem and the four stages, finest first."""
        check_input(x, in_channels=self.in_channels, size_divisor=1, name="resnet3d")
        if any(n % t for n, t in zip(x.shape[2:], self.output_stride)):
            stride = self.output_stride
            raise MedsslError(
                "resnet3d input spatial sizes must be multiples of "
                f"{stride[0] if len(set(stride)) == 1 else stride}; got {tuple(x.shape[2:])}"
            )
        x = self.stem(x)
        features = [x]
        x = self.pool(x)
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


@MODELS.register("resnet3d50")
def resnet3d50(
    *, in_channels: int = 1, base_width: int = 64, output_stride: int | Sequence[int] = 32
) -> ResNet3DEncoder:
    """3D ResNet-50 encoder: bottleneck blocks, stages of 3, 4, 6, 3."""
    return ResNet3DEncoder(
        block="bottleneck",
        layers=(3, 4, 6, 3),
        in_channels=in_channels,
        base_width=base_width,
        output_stride=output_stride,
    )


@MODELS.register("resnet3d18")
def resnet3d18(
    *, in_channels: int = 1, base_width: int = 64, output_stride: int | Sequence[int] = 32
) -> ResNet3DEncoder:
    """3D ResNet-18 encoder: basic blocks, stages of 2, 2, 2, 2."""
    return ResNet3DEncoder(
        block="basic",
        layers=(2, 2, 2, 2),
        in_channels=in_channels,
        base_width=base_width,
        output_stride=output_stride,
    )


@MODELS.register("resnet3d_tiny")
def resnet3d_tiny(
    *, in_channels: int = 1, base_width: int = 4, output_stride: int | Sequence[int] = 32
) -> ResNet3DEncoder:
    """A bottleneck 3D ResNet with one block per stage and 4 stem channels, for tests."""
    return ResNet3DEncoder(
        block="bottleneck",
        layers=(1, 1, 1, 1),
        in_channels=in_channels,
        base_width=base_width,
        output_stride=output_stride,
    )
