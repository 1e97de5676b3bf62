"""The registration baseline: refuses bad supports; propagates labels when itk-elastix is there."""

import sys

import numpy as np
import pytest
from context_phantom import ct_phantom

from medssl.errors import MedsslError
from medssl.io import Image
from medssl.methods.context.register import RegistrationTransfer


def test_bad_supports_are_refused():
    image, label = ct_phantom()
    reg = RegistrationTransfer()
    with pytest.raises(MedsslError, match="no foreground"):
        reg.add_support(image, Image(np.zeros_like(label.array), label.geometry))
    with pytest.raises(MedsslError, match="at least one support"):
        reg.build()


def test_missing_itk_names_the_extra(monkeypatch):
    image, label = ct_phantom()
    reg = RegistrationTransfer()
    reg.add_support(image, label)
    monkeypatch.setitem(sys.modules, "itk", None)  # makes "import itk" fail
    with pytest.raises(MedsslError, match=r"medssl\[register\]"):
        reg.predict(image)
