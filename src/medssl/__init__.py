"""medssl: self-supervised 3D medical image segmentation with few or no annotations."""

__version__ = "0.1.0"

from medssl.errors import MedsslError

__all__ = ["MedsslError", "__version__"]
