"""The one exception type that user-facing code raises for bad input.

At the command line a :class:`MedsslError` (or ``ValueError`` / ``FileNotFoundError``)
becomes one line on stderr and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations


class MedsslError(Exception):
    """Bad input: a missing or corrupt file, a wrong shape, a bad config value.

    The message states the rule, the bad value and, where there is one, the file.
    """
