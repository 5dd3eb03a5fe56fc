"""The built-in routines (the .toml files in this folder), and finding a routine by name or
path (`loading`)."""

from coach.routines.loading import (
    DEFAULT_ROUTINE,
    builtin_names,
    load_routine,
    template_text,
)

__all__ = ["DEFAULT_ROUTINE", "builtin_names", "load_routine", "template_text"]
