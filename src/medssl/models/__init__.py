"""Networks: a registry of encoders and segmentation networks, heads, weights files.

Build by name with :func:`create_model` (``unet3d``, ``unet3d_tiny``, ``resnet3d50``,
``resnet3d18``, ``resnet3d_tiny``, ``segnet``, ``resnet3d50_aspp``, ``resnet3d_tiny_aspp``). Every encoder returns a list of
feature maps, finest first, and has ``out_channels``, ``strides`` and ``size_divisor``.
"""

from medssl.models.base import (
    Encoder,
    check_input,
    count_parameters,
    encoder_of,
    is_encoder,
    unwrap_model,
)
from medssl.models.decoder import UNetDecoder
from medssl.models.heads import (
    MLP,
    GlobalPoolHead,
    MultiLevelPoolHead,
    PredictionHead,
    ProjectionHead,
    global_avg_pool,
)
from medssl.models.registry import MODELS, create_model, model_names
from medssl.models.resnet3d import ResNet3DEncoder
from medssl.models.segnet import SegNet
from medssl.models.unet3d import UNet3D, UNet3DEncoder
from medssl.models.weights import (
    WeightsFile,
    build_model_from_weights,
    load_encoder_weights,
    load_model_weights,
    load_state_strict,
    load_weights,
    save_weights,
)

__all__ = [
    "MLP",
    "MODELS",
    "Encoder",
    "GlobalPoolHead",
    "MultiLevelPoolHead",
    "PredictionHead",
    "ProjectionHead",
    "ResNet3DEncoder",
    "SegNet",
    "UNet3D",
    "UNet3DEncoder",
    "UNetDecoder",
    "WeightsFile",
    "build_model_from_weights",
    "check_input",
    "count_parameters",
    "create_model",
    "encoder_of",
    "global_avg_pool",
    "is_encoder",
    "load_encoder_weights",
    "load_model_weights",
    "load_state_strict",
    "load_weights",
    "model_names",
    "save_weights",
    "unwrap_model",
]
