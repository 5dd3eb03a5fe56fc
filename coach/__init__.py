"""coach: a voice-guided stretching coach for drivers."""

__version__ = "0.1.0"
