"""The Method seam: what every self-supervised method gives the training engine.

The engine (:mod:`medssl.engine`) knows nothing about any single method. A method is a
small object with:

- ``build_model(cfg)`` → ``torch.nn.Module``: the network trained (with its heads).
- ``make_dataset(records, cfg, seed)`` → a ``torch.utils.data.Dataset`` or
  ``IterableDataset`` of ready batches' items (synthesis/augmentation run there, so in
  DataLoader workers). Item ``i`` must be reproducible from ``(seed, i)``.
- ``loss(model, batch)`` → ``(loss tensor, dict of float logs)``.

Optional hooks:

- ``optimizers(model, cfg)`` → list of ``(name, torch.optim.Optimizer)``; default is
  one optimizer over all parameters, built by the engine from the config. SAR uses this
  for its separate learning rates and its adversary.
- ``train_step(model, batch, optimizers, scaler_ctx)``: full control of one step (for
  min-max training); default is loss → backward → step on every optimizer.
- ``on_step_end(model, step)``: e.g. the EMA target of BYOL/PGL.
- ``validate(model, cfg)`` → dict of label-free metrics (lower ``val_loss`` is better),
  used for checkpoint selection.
- ``encoder_of(model)`` → the module whose weights are exported as "the encoder".
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
]
