"""Live play: the session through the speakers, with keys to pause, skip and quit.

`player` keeps the timeline on a monotonic clock and starts each clip on time; `status`
works out what the status line says; `terminal` reads single keys and draws that line;
`outputs` are the audio devices, one registry of backends behind `types.AudioOutput`.
"""
