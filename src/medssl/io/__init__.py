"""Image input/output with full geometry. See :mod:`medssl.io.geometry` for conventions."""

from medssl.io.atomic import atomic_path, atomic_write_text, ensure_writable_dir
from medssl.io.dicom import SeriesInfo, list_series
from medssl.io.dicom_mask import read_mask_label
from medssl.io.geometry import Geometry, check_same_grid
from medssl.io.image import (
    Image,
    image_stem,
    is_image_path,
    output_name,
    read_geometry,
    read_image,
    read_label,
    write_image,
)
from medssl.io.nifti import GeometryWarning

__all__ = [
    "Geometry",
    "GeometryWarning",
    "Image",
    "SeriesInfo",
    "atomic_path",
    "atomic_write_text",
    "check_same_grid",
    "ensure_writable_dir",
    "image_stem",
    "is_image_path",
    "list_series",
    "output_name",
    "read_geometry",
    "read_image",
    "read_label",
    "read_mask_label",
    "write_image",
]
