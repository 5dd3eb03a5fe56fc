"""The one exception type for problems the user can fix; the CLI turns it into a clean message."""


class CoachError(Exception):
    """A user-facing error: bad input, a missing device, an unwritable path.

    The message is one short paragraph saying what is wrong and how to fix it.
    The command line prints it without a traceback and exits with status 2.
    """

    exit_code = 2
