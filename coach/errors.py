"""The one exception type for problems the user can fix; the CLI turns it into a clean message.

A message may quote what the user wrote (a field name, a file name), so it is made safe to
print here, once: control characters (an escape that clears the screen, a bell, a null) are
shown as `\\u001b` and the like instead of reaching the terminal.
"""

_NAMED_CONTROLS = {0x00: "null", 0x07: "bell", 0x08: "backspace", 0x1B: "escape", 0x7F: "delete"}
_DIRECTION_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
"""Unicode's text-direction embeddings, overrides and isolates: invisible, but they reorder
how the rest of a line is shown."""


def is_control(char: str) -> bool:
    """True for a character that steers a terminal instead of showing: the C0 and C1
    controls (tab and line breaks apart, which are spacing) and the text-direction controls.

    >>> is_control("\\x1b"), is_control("\\x9b"), is_control("\\u202e"), is_control("\\t")
    (True, True, True, False)
    >>> is_control("é"), is_control("\\u00a0")
    (False, False)
    """
    code = ord(char)
    if char in "\t\n\r":
        return False
    return code < 0x20 or 0x7F <= code <= 0x9F or code in _DIRECTION_CONTROLS


def control_name(char: str) -> str:
    """How a message names a control character: "U+001B (escape)".

    >>> control_name("\\x1b"), control_name("\\x01")
    ('U+001B (escape)', 'U+0001')
    """
    code = ord(char)
    name = _NAMED_CONTROLS.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def visible(text: str) -> str:
    """`text` safe to print as one paragraph: every control character written as an escape,
    so printing it cannot move the cursor or clear the screen, and line breaks as spaces.

    >>> visible("Title\\x1b[2J\\x07 two\\nlines")
    'Title\\\\u001b[2J\\\\u0007 two lines'
    """
    return "".join(
        " " if char in "\n\r" else f"\\u{ord(char):04x}" if is_control(char) else char
        for char in text
    )


def printable(text: str) -> str:
    """`text` safe to print as it is laid out: control characters escaped as `visible`
    does, line breaks kept. For what the coach prints from settings, the environment, file
    names and the like, which no check has cleaned as routine text is.

    >>> printable("voice \\x1b]0;title\\x07 a\\nb")
    'voice \\\\u001b]0;title\\\\u0007 a\\nb'
    """
    return "\n".join(visible(line) for line in text.split("\n"))


class CoachError(Exception):
    """A user-facing error: bad input, a missing device, an unwritable path.

    The message is one short paragraph saying what is wrong and how to fix it.
    The command line prints it without a traceback and exits with status 2.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(visible(message))


def os_reason(error: BaseException) -> str:
    """Why an operation on a file or stream failed, as a message says it: the system's
    words in lower case ("permission denied", "no space left on device"), else the
    error's own text, else its kind.

    >>> os_reason(PermissionError(13, "Permission denied", "/srv/cache"))
    'permission denied'
    >>> os_reason(OSError("a symlink loop")), os_reason(OSError())
    ('a symlink loop', 'oserror')
    """
    strerror = error.strerror if isinstance(error, OSError) else None
    return (strerror or str(error) or type(error).__name__).lower()
