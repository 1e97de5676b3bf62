"""The Method seam: what every self-supervised method gives the training engine.

The engine (:mod:`medssl.engine`) knows nothing about any single method. A method is a
subclass of :class:`Method` that implements three things:

- ``build_model(cfg)`` → ``torch.nn.Module``: the network trained (with its heads).
- ``make_dataset(records, cfg, seed)`` → a map-style ``torch.utils.data.Dataset``
  (synthesis/augmentation run there, so in DataLoader workers). Item ``i`` must be
  reproducible from ``(seed, i)``. With a ``__len__`` the engine reads a fresh
  permutation of ``range(len)`` each epoch; without one (an endless synthetic stream)
  it reads index ``i`` = the global sample position 0, 1, 2, ..., so every step sees
  new samples. Either way the stream is a function of (run seed, step), which is what
  makes ``--resume`` exact.
- ``loss(model, batch)`` → ``(loss tensor, dict of float logs)``; run under autocast.

``cfg`` is a :class:`medssl.config.TrainConfig` (``cfg.model``, ``cfg.model_kwargs``,
``cfg.lr``...). The ``model`` given to ``loss`` and ``train_step`` may be wrapped in
DistributedDataParallel: call ``model(...)`` for everything that needs gradients and
reach submodules through :func:`medssl.engine.unwrap` (``on_step_end``, ``validate``,
``encoder_of`` and ``export_metadata`` get the bare network).

The optional hooks below have default implementations here; the engine calls every
one of them, so a method overrides only what it changes. Options of a registered
method are the keyword arguments of its constructor; :func:`create_method` checks
their names and types against the constructor's signature before calling it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import torch
from torch import nn

from medssl.registry import Registry

#: One optimizer entry: a ready optimizer, or a spec dict (see :mod:`medssl.engine.optim`).
OptimizerEntry = torch.optim.Optimizer | Mapping[str, Any]


class Method:
    """Base class of every method: three required parts and the optional hooks.

    Attributes:
        name: The registered name (``@METHODS.register(name)``).
        export_checkpoint: ``"last"`` or ``"best"``: the state exported at the end.
    """

    name: ClassVar[str] = ""
    #: Which state ``model.pt`` and ``encoder.pt`` hold: ``"last"`` (the final step) or
    #: ``"best"`` (``best.pt``, chosen by ``validate``, when there is one).
    export_checkpoint: ClassVar[str] = "last"

    # ------------------------------------------------------------ required
    def build_model(self, cfg: Any) -> nn.Module:
        """The network trained, randomly initialised."""
        raise NotImplementedError(f"method '{self.name}' must implement build_model")

    def make_dataset(self, records: list, cfg: Any, seed: int) -> torch.utils.data.Dataset:
        """The map-style training dataset; item ``i`` is re-made from ``(seed, i)``."""
        raise NotImplementedError(f"method '{self.name}' must implement make_dataset")

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """The loss of one batch and its logged terms (run under autocast)."""
        raise NotImplementedError(f"method '{self.name}' must implement loss")

    # ------------------------------------------------------------ optional
    def optimizers(
        self, model: nn.Module, cfg: Any
    ) -> Mapping[str, OptimizerEntry] | Iterable[tuple[str, OptimizerEntry]]:
        """Named optimizers, each with its own schedule.

        An entry is a ``torch.optim.Optimizer`` or a spec dict ``{"params", "lr" |
        "lr_scale", "optimizer", "weight_decay"}`` built with the configured optimizer.
        Default: one optimizer, ``main``, over all parameters.
        """
        return {"main": {"params": model.parameters()}}

    def train_step(
        self,
        model: nn.Module,
        batch: Any,
        optimizers: Mapping[str, torch.optim.Optimizer],
        autocast: Callable[[], AbstractContextManager[Any]],
        *,
        grad_clip: float = 0.0,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """One optimisation step; override for full control (e.g. min-max training).

        Default: zero every optimizer's gradients, the loss under ``autocast()``,
        backward, clip the gradient norm to ``grad_clip`` (when > 0), step every
        optimizer.

        Returns:
            The loss and its logged terms.
        """
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        with autocast():
            loss, logs = self.loss(model, batch)
        loss.backward()
        if grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        for opt in optimizers.values():
            opt.step()
        return loss, logs

    def on_step_end(self, model: nn.Module, step: int) -> None:
        """Called after every completed step (``step`` counts from 1), e.g. an EMA target."""

    @property
    def has_validation(self) -> bool:
        """Whether :meth:`validate` measures anything (it selects ``best.pt``).

        Default: whether the subclass overrides :meth:`validate`. Without validation
        the ``plateau`` schedule follows the logged training loss.
        """
        return type(self).validate is not Method.validate

    def validate(self, model: nn.Module, cfg: Any) -> dict[str, float]:
        """Label-free metrics (lower ``val_loss`` is better), run in eval mode, no grad.

        Default: none.
        """
        return {}

    def encoder_of(self, model: nn.Module) -> nn.Module | None:
        """The module exported as ``encoder.pt``; None when there is none.

        Default: ``model.encoder``, or ``model`` when it is itself an encoder.
        """
        from medssl.errors import MedsslError
        from medssl.models import encoder_of

        try:
            return encoder_of(model)
        except MedsslError:
            return None

    def collate(self, items: list[Any]) -> Any:
        """Items → a batch. Default: ``torch.utils.data.default_collate``."""
        return torch.utils.data.default_collate(items)

    def export_metadata(self, model: nn.Module) -> dict[str, Any]:
        """Plain data stored in the exported weights files beside the weights.

        Whatever inference needs beyond the network goes here (a preprocessing preset,
        a threshold, a window), so that a weights file copied out of its run folder
        is still usable. Default: nothing.
        """
        return {}

    def input_sizes(self) -> dict[str, tuple[int, ...]]:
        """Spatial sizes of the network inputs, by the option that sets them.

        :func:`check_input_sizes` checks them against the network's ``size_divisor``
        before any data is read. Default: none to check.
        """
        return {}

    @classmethod
    def tiny_options(cls) -> dict[str, Any]:
        """Options for a seconds-long run on 24³-32³ volumes with ``unet3d_tiny``.

        Used by the contract test every registered method runs.
        """
        return {}

    @classmethod
    def tiny_model(cls) -> tuple[str, dict[str, Any]] | None:
        """``(model, model_kwargs)`` of that run for a method that trains one fixed network.

        Default: None, the run uses ``unet3d_tiny``.
        """
        return None


METHODS: Registry = Registry("method")


def create_method(name: str, **kwargs: Any) -> Method:
    """Instantiate a registered method by name, checking its options first.

    Raises:
        MedsslError: An unknown name (valid names listed), an unknown option or a
            value of the wrong type (valid options listed).
    """
    from medssl.methods.options import check_method_options

    _ensure_builtin_methods()
    cls = METHODS.get(name)
    return cls(**check_method_options(name, cls, kwargs))


def check_input_sizes(method: Method, model: str, model_kwargs: Mapping[str, Any]) -> None:
    """Check a method's input sizes against the ``size_divisor`` of its network.

    Raises:
        MedsslError: ``"method_options.patch_size (20, 20, 20) must be multiples of 8,
            the size divisor of model 'unet3d' ..."``.
    """
    sizes = method.input_sizes()
    if not sizes:
        return
    from medssl.models import check_divisible, size_divisor

    divisor = size_divisor(model, **dict(model_kwargs))
    for option, size in sizes.items():
        check_divisible(size, divisor, what=f"method_options.{option}", arch=model)


def method_names() -> list[str]:
    """Every registered method name, sorted (the built-in ones imported first)."""
    _ensure_builtin_methods()
    return METHODS.names()


def _ensure_builtin_methods() -> None:
    """Import the modules that register the built-in methods (explicit list, no scanning)."""
    import importlib

    for module in _BUILTIN_METHOD_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a method module not written yet
            if exc.name != module:
                raise


# Each method module registers itself with @METHODS.register("name"). Add new ones here.
_BUILTIN_METHOD_MODULES: list[str] = [
    "medssl.methods.ld",
    "medssl.methods.genesis",
    "medssl.methods.sar",
    "medssl.methods.rotation",
    "medssl.methods.jigsaw",
    "medssl.methods.rpl",
    "medssl.methods.byol",
    "medssl.methods.pgl",
    "medssl.methods.context2d",
    "medssl.methods.doersch3d",
]
