"""The Method contract, checked for every registered method (as timm tests every model).

Each method in the registry runs two steps through the engine on tiny volumes, with
its own ``tiny_options``; its hooks are called by the engine, ``on_step_end`` once per
step. A method added to the registry later is picked up here without a change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "zeroshot"))

from zs_helpers import brain_like, write_nifti

from medssl.config import TrainConfig
from medssl.data import Record
from medssl.engine import Trainer
from medssl.errors import MedsslError
from medssl.methods import METHODS, Method, create_method
from medssl.methods.base import check_input_sizes, method_names
from medssl.models import load_model, load_weights


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[Record]:
    """Four 32³ brain-like volumes at 2 mm, two named CT and two MR."""
    folder = tmp_path_factory.mktemp("contract")
    out = []
    for k, modality in enumerate(("CT", "MR", "CT", "MR")):
        image, _ = brain_like(shape=(32, 32, 32), seed=k)
        path = write_nifti(folder / f"case{k}.nii.gz", image, np.diag([2.0, 2.0, 2.0, 1.0]))
        out.append(Record(f"case{k}", path, modality=modality))
    return out


def _cfg(tmp_path: Path, method: str, **kw) -> TrainConfig:
    base = {
        "method": method,
        "model": "unet3d_tiny",
        "model_kwargs": {"base_width": 2, "num_levels": 2},
        "steps": 2,
        "batch_size": 2,
        "precision": "fp32",
        "num_workers": 0,
        "ckpt_every": 0,
        "log_every": 1,
        "val_every": 2,
        "progress": False,
        "seed": 0,
        "out": str(tmp_path / "run"),
    }
    return TrainConfig(**(base | kw))


@pytest.mark.parametrize("name", method_names())
def test_every_registered_method_runs_two_steps_through_the_engine(
    name, records, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEDSSL_CACHE", str(tmp_path / "cache"))
    cls = METHODS.get(name)
    assert issubclass(cls, Method) and cls.name == name
    own = cls.tiny_options.__func__ is not Method.tiny_options.__func__
    assert own, f"method {name} must define tiny_options() for this test"
    method = create_method(name, **cls.tiny_options())
    steps: list[int] = []
    hook = method.on_step_end
    monkeypatch.setattr(method, "on_step_end", lambda m, s: (steps.append(s), hook(m, s)))
    network = cls.tiny_model()
    fixed = {} if network is None else {"model": network[0], "model_kwargs": network[1]}
    trainer = Trainer(method, _cfg(tmp_path, name, **fixed), records)
    result = trainer.fit()
    assert result.step == 2 and steps == [1, 2]
    assert all(np.isfinite(result.losses))
    model_file = load_weights(result.run_dir / "model.pt")
    assert model_file.extra["method"] == name and model_file.extra["step"] == 2
    assert model_file.extra.items() >= method.export_metadata(trainer.model).items()
    # the file alone rebuilds the trained network, wrappers included
    trained = trainer.model.state_dict()
    rebuilt = load_model(result.run_dir / "model.pt").state_dict()
    assert rebuilt.keys() == trained.keys()
    assert all(torch.equal(v, trained[k].cpu()) for k, v in rebuilt.items())
    encoder = method.encoder_of(trainer.model)
    assert (result.run_dir / "encoder.pt").is_file() == (encoder is not None)
    if encoder is not None:
        rebuilt_encoder = load_model(result.run_dir / "encoder.pt")
        assert rebuilt_encoder.state_dict().keys() == encoder.state_dict().keys()
    check_input_sizes(method, "unet3d_tiny", {"base_width": 2, "num_levels": 2})


@pytest.mark.parametrize("name", method_names())
def test_every_method_rejects_an_unknown_option_with_the_valid_ones(name):
    with pytest.raises(
        MedsslError, match=rf"unknown option 'no_such' for method '{name}'; valid: "
    ):
        create_method(name, no_such=1)


def test_a_typo_in_ld_options_is_one_line_not_a_traceback():
    with pytest.raises(MedsslError) as info:
        create_method("ld", patch_szie=32)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("unknown option 'patch_szie' for method 'ld'; valid: preset,")
    assert "patch_size" in message


@pytest.mark.parametrize(
    "name, options, match",
    [
        ("ld", {"real_fraction": "lots"}, "option 'real_fraction' of method 'ld' must be a number"),
        ("ld", {"val_samples": [2]}, "option 'val_samples' of method 'ld' must be an integer"),
        ("genesis", {"pad": 3}, "option 'pad' of method 'genesis' must be true or false"),
        ("sar", {"scales": 0.5}, "option 'scales' of method 'sar' must be a list of numbers"),
        ("rotation", {"preprocess": "none"}, "must be a mapping or None"),
    ],
)
def test_wrong_types_are_one_line_listing_the_valid_options(name, options, match):
    with pytest.raises(MedsslError, match=match) as info:
        create_method(name, **options)
    assert "(valid options: " in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"loss": {"w_msk": 1}}, "unknown loss option 'w_msk' for method 'ld'; valid: w_normal"),
        ({"loss": {"w_mask": "x"}}, "loss option 'w_mask' of method 'ld' must be a number"),
        ({"synthesis": {"volume_rng": 1}}, "unknown synthesis option 'volume_rng'"),
        ({"synthesis": {"volume_range_mm3": [5.0, 1.0]}}, "volume_range_mm3 must be"),
    ],
)
def test_typos_in_ld_s_nested_options_are_one_line(options, match):
    with pytest.raises(MedsslError, match=match) as info:
        create_method("ld", **options)
    assert "\n" not in str(info.value)


def test_values_from_the_command_line_are_coerced():
    sar = create_method(
        "sar", mial_lr="1e-3", use_mial="false", scales=[1, 0.5], scale_probs=[0.5, 0.5]
    )
    assert sar.mial_lr == 1e-3 and sar.use_mial is False
    assert sar.view.cubes.scales == (1.0, 0.5)


class _EMA(Method):
    """A test method with an EMA target updated in ``on_step_end``."""

    name = "ema_test"

    def __init__(self, *, momentum: float = 0.5) -> None:
        self.momentum = momentum
        self.calls: list[int] = []
        self.target: list[torch.Tensor] | None = None

    def build_model(self, cfg):
        return torch.nn.Conv3d(1, 1, 3, padding=1)

    def make_dataset(self, records, cfg, seed):
        g = torch.Generator().manual_seed(seed)
        return [torch.randn(1, 8, 8, 8, generator=g) for _ in range(4)]

    def loss(self, model, batch):
        return ((model(batch) - batch) ** 2).mean(), {}

    def on_step_end(self, model, step):
        if self.target is None:
            self.target = [p.detach().clone() for p in model.parameters()]
        with torch.no_grad():
            for t, p in zip(self.target, model.parameters()):
                t.mul_(self.momentum).add_(p, alpha=1 - self.momentum)
        self.calls.append(step)


def test_on_step_end_is_called_after_every_step_for_an_ema_target(tmp_path, monkeypatch):
    monkeypatch.setitem(METHODS._items, "ema_test", _EMA)
    method = create_method("ema_test", momentum=0.9)
    trainer = Trainer(method, _cfg(tmp_path, "ema_test", steps=3, model="x", val_every=0))
    trainer.fit()
    assert method.calls == [1, 2, 3]
    live = next(trainer.model.parameters())
    ema = method.target[0]
    assert not torch.equal(live, ema)  # the target lags the live weights


def test_the_engine_refuses_an_object_that_is_not_a_method(tmp_path):
    class Loose:
        name = "loose"

    with pytest.raises(TypeError, match="needs a medssl.methods.Method subclass; got Loose"):
        Trainer(Loose(), _cfg(tmp_path, "loose"))


def test_the_base_class_gives_every_optional_hook_a_default():
    method = _EMA()
    model = method.build_model(None)
    assert list(method.optimizers(model, None)) == ["main"]
    assert method.validate(model, None) == {} and not method.has_validation
    assert method.encoder_of(model) is None  # a plain Conv3d is no encoder
    assert method.collate([torch.zeros(2), torch.ones(2)]).shape == (2, 2)
    assert method.export_metadata(model) == {} and method.input_sizes() == {}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    loss, _ = method.train_step(
        model, torch.randn(2, 1, 8, 8, 8), {"main": opt}, torch.enable_grad, grad_clip=1e-9
    )
    assert loss > 0 and (model.weight - before).abs().max() < 1e-6  # clipped to ~0
