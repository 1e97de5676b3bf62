"""Entry point of the ``medssl`` command.

Each subcommand lives in its own module under :mod:`medssl.cli` and is a thin wrapper:
parse, call a library function, print. Heavy libraries (torch, monai, SimpleITK) are
imported inside the commands so that ``medssl --help`` is instant.

Errors from bad input become one line on stderr and exit code 2; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="medssl",
    help="Self-supervised 3D medical image segmentation with few or no annotations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_STATE = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on error."),
) -> None:
    _STATE["debug"] = debug


def _register() -> None:
    # One line per command module; each module is light to import (heavy imports live
    # inside the command functions).
    from medssl.cli.evaluate import evaluate
    from medssl.cli.experiment import experiment
    from medssl.cli.finetune import finetune
    from medssl.cli.info import info
    from medssl.cli.predict import predict
    from medssl.cli.pretrain import pretrain
    from medssl.cli.segment import segment
    from medssl.cli.transfer import SETTINGS, transfer

    app.command("info")(info)
    app.command("evaluate")(evaluate)
    app.command("pretrain")(pretrain)
    app.command("finetune")(finetune)
    app.command("predict")(predict)
    app.command("segment")(segment)
    app.command("experiment")(experiment)
    app.command("transfer", context_settings=SETTINGS)(transfer)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map user errors to one line on stderr and a non-zero exit."""
    from medssl.errors import MedsslError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        # standalone mode: typer reports usage errors itself and exits via SystemExit.
        app(args=args, prog_name="medssl")
    except KeyboardInterrupt:
        print("medssl: interrupted", file=sys.stderr)
        sys.exit(130)
    except (MedsslError, ValueError, FileNotFoundError, PermissionError) as exc:
        if debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"medssl: error: {message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
