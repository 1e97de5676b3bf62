"""Networks: a registry of encoders and segmentation networks, heads, weights files.

Build by name with :func:`create_model` (``unet3d``, ``unet3d_tiny``, ``resnet3d50``,
``resnet3d18``, ``resnet3d_tiny``, ``segnet``, ``resnet3d50_aspp``, ``resnet3d_tiny_aspp``,
and the method wrappers ``sar_net`` and ``tile_classifier``); rebuild any medssl weights
file with :func:`load_model`. Every encoder returns a list of
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
from medssl.models.registry import MODELS, create_from_spec, create_model, model_names, model_spec
from medssl.models.resnet3d import ResNet3DEncoder
from medssl.models.segnet import SegNet
from medssl.models.sizes import check_divisible, check_patch, size_divisor
from medssl.models.unet3d import UNet3D, UNet3DEncoder
from medssl.models.weights import (
    WeightsFile,
    build_model_from_weights,
    load_encoder_weights,
    load_model,
    load_model_weights,
    load_state_strict,
    load_weights,
    recorded_architecture,
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
    "check_divisible",
    "check_input",
    "check_patch",
    "count_parameters",
    "create_from_spec",
    "create_model",
    "encoder_of",
    "global_avg_pool",
    "is_encoder",
    "load_encoder_weights",
    "load_model",
    "load_model_weights",
    "load_state_strict",
    "load_weights",
    "model_names",
    "model_spec",
    "recorded_architecture",
    "save_weights",
    "size_divisor",
    "unwrap_model",
]
