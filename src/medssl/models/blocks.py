"""Convolution building blocks shared by the encoders and decoders, in 2D or 3D.

Plain ``torch.nn`` layers are used (rather than MONAI's ``Convolution``) so that the
parameter names in saved weights stay stable across library versions. As in MONAI,
``spatial_dims`` (2 or 3) picks the layer types; 3 is the default everywhere.
"""

from __future__ import annotations

from torch import nn

from medssl.errors import MedsslError

_LAYERS: dict[int, dict[str, type[nn.Module]]] = {
    2: {
        "conv": nn.Conv2d,
        "conv_transpose": nn.ConvTranspose2d,
        "batch_norm": nn.BatchNorm2d,
        "max_pool": nn.MaxPool2d,
    },
    3: {
        "conv": nn.Conv3d,
        "conv_transpose": nn.ConvTranspose3d,
        "batch_norm": nn.BatchNorm3d,
        "max_pool": nn.MaxPool3d,
    },
}


def check_spatial_dims(spatial_dims: int) -> int:
    """``spatial_dims``, checked to be 2 or 3.

    Raises:
        MedsslError: Otherwise.
    """
    if isinstance(spatial_dims, bool) or spatial_dims not in _LAYERS:
        raise MedsslError(f"spatial_dims must be 2 or 3; got {spatial_dims!r}")
    return int(spatial_dims)


def layer(kind: str, spatial_dims: int) -> type[nn.Module]:
    """The ``torch.nn`` class of a layer kind in 2D or 3D.

    Args:
        kind: ``conv``, ``conv_transpose``, ``batch_norm`` or ``max_pool``.
        spatial_dims: 2 or 3.

    Example:
        >>> layer("conv", 2).__name__
        'Conv2d'
    """
    return _LAYERS[check_spatial_dims(spatial_dims)][kind]


def conv_bn_relu(
    in_channels: int, out_channels: int, *, kernel_size: int = 3, spatial_dims: int = 3
) -> nn.Sequential:
    """One ``Conv → BatchNorm → ReLU`` with "same" padding and no conv bias.

    Shape:
        ``(N, in_channels, *S) → (N, out_channels, *S)`` with ``len(S) == spatial_dims``.
    """
    conv, norm = layer("conv", spatial_dims), layer("batch_norm", spatial_dims)
    return nn.Sequential(
        conv(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        norm(out_channels),
        nn.ReLU(inplace=True),
    )


class DoubleConv(nn.Sequential):
    """Two 3×3(×3) ``Conv → BN → ReLU``, the level block of the UNet.

    Args:
        in_channels: Input channels.
        out_channels: Output channels of both convolutions.
        spatial_dims: 2 or 3.

    Shape:
        ``(N, in_channels, *S) → (N, out_channels, *S)`` with ``len(S) == spatial_dims``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, spatial_dims: int = 3) -> None:
        super().__init__(
            conv_bn_relu(in_channels, out_channels, spatial_dims=spatial_dims),
            conv_bn_relu(out_channels, out_channels, spatial_dims=spatial_dims),
        )


_WEIGHTED = (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def init_weights(module: nn.Module, *, scheme: str = "kaiming") -> None:
    """Initialise convolutions (2D and 3D) and linear layers; unit BN, zero bias.

    Args:
        module: Every submodule of it is initialised.
        scheme: ``kaiming`` (normal, fan-out, ReLU; the default) or ``xavier``
            (uniform, for layers not followed by a ReLU).

    Raises:
        MedsslError: On another scheme.
    """
    if scheme not in ("kaiming", "xavier"):
        raise MedsslError(f"init scheme must be 'kaiming' or 'xavier'; got {scheme!r}")
    for m in module.modules():
        if isinstance(m, _WEIGHTED):
            if scheme == "kaiming":
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, _NORMS):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
