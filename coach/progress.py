"""How long work reports how far it has got."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called with (done, total) while work goes on: phrases synthesized or mastered, samples
encoded."""
