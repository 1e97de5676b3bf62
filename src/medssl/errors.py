"""The one exception type that user-facing code raises for bad input.

At the command line a :class:`MedsslError` (or ``ValueError`` / ``FileNotFoundError``)
becomes one line on stderr and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations


class MedsslError(Exception):
    """Bad input: a missing or corrupt file, a wrong shape, a bad config value.

    The message states the rule, the bad value and, where there is one, the file.
    """


class Interrupted(Exception):
    """A command stopped on a signal (SIGINT, SIGTERM), after saving what it could.

    Attributes:
        exit_code: The command's exit status, ``128 + signal number`` (130 for Ctrl-C,
            143 for SIGTERM), as a shell reports a death by that signal.
    """

    def __init__(self, message: str, *, signum: int) -> None:
        super().__init__(message)
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
