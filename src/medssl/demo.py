"""``make demo``: the main job on the sample data shipped with medssl."""

from __future__ import annotations


def main() -> None:
    from medssl.cli.main import main as cli

    raise SystemExit(cli(["--help"]))


if __name__ == "__main__":
    main()
