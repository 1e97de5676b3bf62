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

    from medssl.cli.config import config_app

    app.add_typer(config_app, name="config")


_register()


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"medssl: warning: {message}\n"


CHANNEL_ADVICE = "; choose one with --channel"


def _fit_advice(message: str, args: list[str]) -> str:
    """Drop advice to use ``--channel`` when the command run has no such option."""
    if CHANNEL_ADVICE not in message:
        return message
    import typer

    group = typer.main.get_command(app)
    name = next((a for a in args if not a.startswith("-")), "")
    command = getattr(group, "commands", {}).get(name)
    options = {o for p in getattr(command, "params", []) for o in getattr(p, "opts", [])}
    if "--channel" in options:
        return message
    return message.replace(
        CHANNEL_ADVICE, f"; medssl {name} reads 3D files only (save the channel you need as one)"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map user errors to one line on stderr and a non-zero exit."""
    import warnings

    from typer.core import _click

    from medssl.errors import Interrupted, MedsslError

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if not debug:
        warnings.formatwarning = _one_line_warning
    try:
        code = app(args=args, prog_name="medssl", standalone_mode=False)
    except _click.exceptions.NoArgsIsHelpError:
        sys.exit(2)  # the help text is already printed
    except _click.exceptions.ClickException as exc:
        # Usage errors (unknown option, missing or malformed value): one line, like the rest.
        where = f"; see '{exc.ctx.command_path} --help'" if getattr(exc, "ctx", None) else ""
        text = " ".join(exc.format_message().split()).rstrip(".")
        print(f"medssl: error: {text}{where}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("medssl: interrupted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("medssl: interrupted", file=sys.stderr)
        sys.exit(130)
    except Interrupted as exc:  # a checkpoint was saved first; exit 128 + signal number
        print(f"medssl: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (MedsslError, ValueError, OSError) as exc:
        if debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            # A file system refusal (not a folder, read-only, disk full): name the path.
            message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        print(f"medssl: error: {_fit_advice(message, args)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
