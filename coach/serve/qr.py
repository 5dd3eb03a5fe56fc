"""A QR code of an address, drawn in the terminal with Unicode half blocks (segno)."""

from __future__ import annotations

import io

QUIET_ZONE = 2
"""Light modules around the code, drawn, so it reads on a dark terminal too."""


def terminal_qr(text: str) -> str:
    """`text` as a QR code of half-block characters, two rows of modules a line: light
    modules are drawn (full, upper and lower blocks), dark ones left blank, so on a terminal
    with light text on a dark background it reads as a code printed on paper."""
    import segno

    code = segno.make(text, error="m", micro=False)
    drawing = io.StringIO()
    code.terminal(out=drawing, border=QUIET_ZONE, compact=True)
    return drawing.getvalue()
