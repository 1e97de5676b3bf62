"""Tensor operations that torch and torchvision lack in 3D."""

from medssl.ops.roi_align3d import roi_align3d

__all__ = ["roi_align3d"]
