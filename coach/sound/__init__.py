"""Sound: the session's samples, from mastered phrases and chimes to one stream of chunks.

`chimes` loads the packaged chimes; `loudness` and `mastering` bring each phrase to the
session's loudness under a true-peak ceiling; `session_sounds` is the session's phrases and
chimes with their exact lengths; `assembly` lays them on the timeline, ten seconds at a
time, for the renderer and the live player alike.
"""
