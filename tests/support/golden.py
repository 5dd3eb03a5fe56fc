"""Golden files of compiled scripts: a plain-text listing of a Script's events, one a line."""

from __future__ import annotations

from coach.plan.script import Chapter, Cue, Hold, Rest, Say, Script, Step


def describe_script(script: Script) -> str:
    """A plain-text listing of the events, one a line."""
    lines = [f"script: {script.title}"]
    for event in script.events:
        match event:
            case Chapter(title=title, exercise_id=exercise_id):
                lines.append(f"chapter {title!r} [{exercise_id or '-'}]")
            case Step(label=label):
                lines.append(f"  step {label}")
            case Say(text=text):
                lines.append(f"    say {text!r}")
            case Hold(ms=ms, words=words, counted=counted):
                kind = "counted hold" if counted else "hold"
                spoken = ", ".join(f"{word.at_ms}ms {word.text!r}" for word in words)
                lines.append(f"    {kind} {ms}ms" + (f" ({spoken})" if spoken else ""))
            case Rest(ms=ms):
                lines.append(f"    rest {ms}ms")
            case Cue(name=name):
                lines.append(f"    cue {name}")
    return "\n".join(lines) + "\n"
