"""The ld tests share the tiny scans and weights writers of tests/zeroshot/zs_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "zeroshot"))
