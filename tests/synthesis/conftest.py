"""Fixtures for synthesis tests."""

from __future__ import annotations

import pytest
from synthesis_helpers import ball, make_head


@pytest.fixture
def head():
    """(normal, other, roi) with different textures on the same grid."""
    return make_head(1), make_head(2), ball()
