"""The plan: what the session says and when, before any sound exists.

Pure and deterministic: a routine's checked values (`routine`) are compiled into a Script of
events (`compiler`, `script`), fitted to a length (`fit`), and placed on a Timeline in integer
milliseconds (`timeline`, `session`). Speech lengths come in through the one seam in
`lengths`. Nothing here imports an audio library, a speech engine or a device, or touches a
file, so every rule can be tested with plain values.
"""
