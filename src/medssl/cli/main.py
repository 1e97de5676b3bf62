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
    # One line per command module; each module is light to import.
    from medssl.cli import info

    app.command("info")(info.info)
    from medssl.cli.evaluate import evaluate
    app.command("evaluate")(evaluate)
    from medssl.cli.pretrain import pretrain; app.command("pretrain")(pretrain)  # noqa: E702
    from medssl.cli.finetune import finetune; app.command("finetune")(finetune)  # noqa: E702
    from medssl.cli.predict import predict; app.command("predict")(predict)  # noqa: E702
    from medssl.cli.segment import segment; app.command("segment")(segment)  # noqa: E702
    from medssl.cli.experiment import experiment; app.command("experiment")(experiment)  # noqa: E702


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
