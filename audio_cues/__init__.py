"""The chimes, as package data: `exercise.wav`, `hold-end.wav`, `session-end.wav`.

Made by `scripts/make_cues.py` (the script, not the WAVs, is the source) and installed as
`coach.audio_cues`; `coach.sound.chimes` loads them.
"""
