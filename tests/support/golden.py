"""Golden files of compiled scripts: a plain-text listing of a Script's events, one a line."""

from __future__ import annotations

from coach.plan.script import Chapter, Cue, Event, Hold, Move, Relax, Rest, Say, Script, Step


def describe_script(script: Script) -> str:
    """A plain-text listing of the events, one a line."""
    lines = [f"script: {script.title}"]
    _describe(script.events, lines, "")
    return "\n".join(lines) + "\n"


def _describe(events: tuple[Event, ...], lines: list[str], indent: str) -> None:
    for event in events:
        match event:
            case Chapter(title=title, exercise_id=exercise_id):
                lines.append(f"{indent}chapter {title!r} [{exercise_id or '-'}]")
            case Step(label=label):
                lines.append(f"{indent}  step {label}")
            case Say(text=text):
                lines.append(f"{indent}    say {text!r}")
            case Hold(ms=ms, words=words, counted=counted):
                kind = "counted hold" if counted else "hold"
                spoken = ", ".join(f"{word.at_ms}ms {word.text!r}" for word in words)
                lines.append(f"{indent}    {kind} {ms}ms" + (f" ({spoken})" if spoken else ""))
            case Rest(ms=ms):
                lines.append(f"{indent}    rest {ms}ms")
            case Cue(name=name):
                lines.append(f"{indent}    cue {name}")
            case Move(ms=ms, cue=cue, go=go, settle_ms=settle_ms):
                lines.append(f"{indent}    move {ms}ms (settle {settle_ms}ms): cue")
                _describe(cue, lines, indent + "    ")
                if go:
                    lines.append(f"{indent}    move: at the end")
                    _describe(go, lines, indent + "    ")
            case Relax(ms=ms, release=release, quiet_ms=quiet_ms):
                lines.append(f"{indent}    relax {ms}ms (quiet {quiet_ms}ms): release")
                _describe(release, lines, indent + "    ")
