"""Content digests of the files a cell depends on."""

from __future__ import annotations

import pytest

from medssl.errors import MedsslError
from medssl.experiments.fingerprint import content_digest


def test_a_file_digest_follows_its_bytes_not_its_path(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"one")
    b.write_bytes(b"one")
    assert content_digest(a) == content_digest(b)
    b.write_bytes(b"two")
    assert content_digest(a) != content_digest(b)


def test_a_dicom_mask_spec_is_keyed_by_its_file_and_its_mapping(tmp_path):
    zipped = tmp_path / "MASKS_DICOM.zip"
    zipped.write_bytes(b"zip bytes")
    liver = content_digest(f"{zipped}::liver=1")
    assert liver == content_digest(f"{zipped}::liver=1")
    assert liver != content_digest(f"{zipped}::liver=2")
    assert liver != content_digest(f"{zipped}::spleen=1")
    zipped.write_bytes(b"other zip bytes")
    assert liver != content_digest(f"{zipped}::liver=1")


def test_a_missing_spec_source_is_one_error_naming_it(tmp_path):
    with pytest.raises(MedsslError, match="MASKS_DICOM.zip"):
        content_digest(f"{tmp_path / 'MASKS_DICOM.zip'}::liver=1")
