"""Config presets shipped with medssl (the YAML files of the repository's ``configs/``).

``--config NAME`` of ``pretrain``, ``finetune`` and ``experiment`` takes a file path or
the name of a shipped preset (``genesis``, ``ld_brain``, ``experiment_brats``...);
``medssl config list`` lists them and ``medssl config show NAME`` prints one, to copy
and edit. Relative paths inside a preset (data, out) are relative to the working
folder, as for any config file.

Example:
    >>> from medssl.configs import config_names, resolve_config
    >>> "genesis" in config_names()
    True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from medssl.errors import MedsslError


def _folder() -> Path:
    return Path(str(resources.files("medssl") / "configs"))


def config_names() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(p.stem for p in _folder().glob("*.yaml"))


def shipped_config(name: str) -> Path:
    """Path of a shipped preset.

    Raises:
        MedsslError: An unknown name (the valid ones are listed).
    """
    stem = name.removesuffix(".yaml")
    path = _folder() / f"{stem}.yaml"
    if not path.is_file():
        raise MedsslError(
            f"no shipped config named '{name}'; valid names: {', '.join(config_names())}"
        )
    return path


def resolve_config(path: str | Path) -> Path:
    """A config file path as given, or else the shipped preset of that name.

    A path that exists wins; otherwise a bare name (``genesis``, ``genesis.yaml`` or
    ``configs/genesis.yaml``) names a shipped preset.

    Raises:
        MedsslError: Neither a file nor a shipped preset (both kinds are named).
    """
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        raise MedsslError(f"config file {path} is a folder; give a YAML file")
    if path.stem in config_names() and path.suffix in ("", ".yaml"):
        return shipped_config(path.stem)
    raise MedsslError(
        f"config file not found: {path} (nor a shipped config; valid names: "
        f"{', '.join(config_names())})"
    )
