"""The Method seam: what every self-supervised method gives the training engine.

The engine (:mod:`medssl.engine`) knows nothing about any single method. A method is a
small object with:

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
reach submodules through :func:`medssl.engine.unwrap` (``on_step_end``, ``validate``
and ``encoder_of`` get the bare network).

Optional hooks:

- ``optimizers(model, cfg)`` → ``(name, entry)`` pairs or a dict; an entry is a
  ``torch.optim.Optimizer`` or a spec dict ``{"params", "lr" | "lr_scale",
  "optimizer", "weight_decay"}`` built with the configured optimizer. Default: one
  optimizer over all parameters. Each optimizer gets its own schedule. SAR uses this
  for its separate learning rates and its adversary.
- ``train_step(model, batch, optimizers, autocast)`` → ``(loss, logs)``: full control
  of one step (for min-max training): ``optimizers`` is a dict name → optimizer and
  ``autocast()`` returns the run's autocast context; the hook zeroes, backpropagates
  and steps itself. Default: zero → loss → backward → (clip) → step every optimizer.
- ``on_step_end(model, step)``: e.g. the EMA target of BYOL/PGL (``step`` counts
  completed steps from 1).
- ``validate(model, cfg)`` → dict of label-free metrics (lower ``val_loss`` is better),
  run on rank 0 in eval mode under ``no_grad`` every ``val_every`` steps; it selects
  ``best.pt`` and drives the ``plateau`` schedule.
- ``encoder_of(model)`` → the module whose weights are exported as "the encoder".
- ``collate(items)`` → a batch, replacing ``default_collate``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from medssl.registry import Registry


@runtime_checkable
class Method(Protocol):
    name: str

    def build_model(self, cfg: Any): ...

    def make_dataset(self, records: list, cfg: Any, seed: int): ...

    def loss(self, model, batch) -> tuple[Any, dict[str, float]]: ...


METHODS: Registry = Registry("method")


def create_method(name: str, **kwargs: Any) -> Method:
    """Instantiate a registered method by name (unknown names list the valid ones)."""
    _ensure_builtin_methods()
    return METHODS.get(name)(**kwargs)


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
    "medssl.methods.context2d",
    "medssl.methods.doersch3d",
]
