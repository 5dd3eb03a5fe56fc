"""Audio outputs for live play: one registry, one way to open a device, one error for "no sound".

Every backend implements `coach.live.types.AudioOutput`: a device that, once started, pulls
one continuous stream from a source on its own clock. Backends are imported only when opened,
so `coach --help` never loads an audio library.

There is no simpleaudio backend: simpleaudio can only play whole buffers, each as a new
stream on the device, which is what streaming replaced (a stream that starts late, and a
first syllable lost on speakers that wake up slowly). miniaudio ships wheels for every
platform, so it is the one real backend everywhere.
"""

from coach.live.outputs.errors import no_device_error
from coach.live.outputs.registry import BACKENDS, DEFAULT_BACKEND, default_backend, open_output

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "default_backend", "no_device_error", "open_output"]
