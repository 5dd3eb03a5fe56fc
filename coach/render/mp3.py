"""Streaming MP3 encoding of mono PCM with LAME (through the `lameenc` wheel), gapless.

LAME puts `ENCODER_DELAY_SAMPLES` of priming before the first input sample and pads the end
to a whole frame, and every MP3 decoder adds `DECODER_DELAY_SAMPLES` more. lameenc writes
no LAME/Xing info frame (at 48 kbit/s and 22,050 Hz LAME's own tag would not fit in a frame,
so LAME leaves it out), which would leave every decoder playing 1105 samples (50 ms) late.
`Mp3Encoder.header()` builds that info frame ("Info" + LAME tag with delay and padding), so
gapless-aware decoders (dr_mp3 in miniaudio, ffmpeg, mpg123, most players) return exactly
the input samples, at the same positions. Use:

    encoder = Mp3Encoder()
    start = out.tell()
    out.write(encoder.header())      # placeholder, as long as the real one
    for chunk in chunks:
        out.write(encoder.encode(chunk))
    out.write(encoder.flush())
    out.seek(start)
    out.write(encoder.header())      # the real info frame, same length
    out.seek(0, os.SEEK_END)

The placeholder is a silent frame, not an info frame, so a file whose header was never
rewritten still plays correctly, just one frame later (576 samples at 22,050 Hz) than a
stream without any header (only `encode` and `flush` output), which decoders play
`DECODER_OFFSET_SAMPLES` late.

Output is a pure function of the input samples and settings: no dates, no random padding.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from coach.pcm import Samples
from coach.progress import Progress
from coach.time import SAMPLE_RATE

ENCODER_DELAY_SAMPLES = 576
"""Samples LAME adds before the first input sample (measured; LAME's documented value)."""

DECODER_DELAY_SAMPLES = 529
"""Delay of the MP3 synthesis filterbank, added by every decoder."""

DECODER_OFFSET_SAMPLES = ENCODER_DELAY_SAMPLES + DECODER_DELAY_SAMPLES
"""Where input sample 0 lands in a decoder's output when there is no info frame: 1105
samples (50.1 ms at 22,050 Hz). Measured with miniaudio (dr_mp3) on stream output alone."""

FRAME_SAMPLES_MPEG1 = 1152
FRAME_SAMPLES_MPEG2 = 576
"""Samples per Layer III frame: MPEG-1 (32-48 kHz) and MPEG-2/2.5 (8-24 kHz)."""

DEFAULT_BITRATE_KBPS = 48
"""Speech-grade mono: 360 kB per minute, so 5 minutes is 1.8 MB."""

MAX_SAMPLES = ((2**32 - 1) * 8 // (DEFAULT_BITRATE_KBPS * 1000) - 60) * SAMPLE_RATE
"""The most samples one file holds: the info frame counts the stream's bytes in 32 bits,
which at 48 kbit/s is 198 hours (a minute of it kept in hand for the frames around the
audio)."""

DEFAULT_QUALITY = 5
"""LAME's algorithm quality (2 best, 7 fastest). For 300 s of 22,050 Hz speech at 48 kbit/s
this took 0.34 s (q2 0.52 s, q3 0.40 s, q7 0.21 s); the file size is set by the bit rate.
5 keeps LAME's psychoacoustic model and noise shaping, which 7 drops; 2 costs half as much
time again for a difference that 48 kbit/s speech does not show."""

_INFO_FIELDS_BYTES = 4 + 16 + 36
"""Frame header, Xing fields ("Info", flags, frame count, byte count) and the LAME tag; the
side information (9 or 17 bytes) comes on top. LAME itself also writes a 100-byte seek table,
which does not fit in a 48 kbit/s frame at 22,050 Hz, so LAME drops the whole tag there;
the table is optional (flag bit 2) and constant-bit-rate files seek without it."""

_BITRATES_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {  # sample rate -> (version bits, rate index, MPEG version for bit rate tables)
    44_100: (0b11, 0, 1),
    48_000: (0b11, 1, 1),
    32_000: (0b11, 2, 1),
    22_050: (0b10, 0, 2),
    24_000: (0b10, 1, 2),
    16_000: (0b10, 2, 2),
    11_025: (0b00, 0, 2),
    12_000: (0b00, 1, 2),
    8_000: (0b00, 2, 2),
}


def _crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (reflected polynomial 0xA001), the CRC the LAME tag uses."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _frame_size(kbps: int, rate: int, *, mpeg1: bool, padded: bool) -> int:
    """Bytes in one Layer III frame."""
    return (144 if mpeg1 else 72) * kbps * 1000 // rate + (1 if padded else 0)


class _FrameCounter:
    """Counts whole MPEG frames in a byte stream that arrives in arbitrary pieces.

    Needed for the info frame's frame count and the end padding; LAME through lameenc does
    not report them. Keeps at most one partial frame of bytes.
    """

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0
        self._pending = b""

    def feed(self, data: bytes) -> None:
        self.bytes += len(data)
        buffer = self._pending + data
        at = 0
        while len(buffer) - at >= 4:
            header = buffer[at : at + 4]
            if header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
                raise RuntimeError(f"LAME output lost MPEG frame sync at byte {self.bytes}")
            mpeg1 = (header[1] >> 3) & 0b11 == 0b11
            rates = (44_100, 48_000, 32_000)
            rate = rates[(header[2] >> 2) & 0b11]
            if not mpeg1:
                rate //= 2 if (header[1] >> 3) & 0b11 == 0b10 else 4
            kbps = _BITRATES_KBPS[1 if mpeg1 else 2][header[2] >> 4]
            size = _frame_size(kbps, rate, mpeg1=mpeg1, padded=bool(header[2] & 0b10))
            if len(buffer) - at < size:
                break
            at += size
            self.frames += 1
        self._pending = buffer[at:]


class Mp3Encoder:
    """Encode mono int16 chunks to constant-bit-rate MP3, in order, with any chunk sizes.

    `encode` and `flush` return the MPEG stream; `header` returns the info frame that goes in
    front of it (see the module docstring for the write order). Each encoder makes one file.
    """

    def __init__(
        self,
        rate: int = SAMPLE_RATE,
        bitrate_kbps: int = DEFAULT_BITRATE_KBPS,
        quality: int = DEFAULT_QUALITY,
    ) -> None:
        import lameenc

        if rate not in _RATES:
            raise ValueError(f"MP3 has no {rate} Hz sample rate; use one of {sorted(_RATES)}")
        version = _RATES[rate][2]
        if bitrate_kbps not in _BITRATES_KBPS[version][1:]:
            raise ValueError(
                f"{bitrate_kbps} kbit/s is not an MP3 bit rate at {rate} Hz; "
                f"use one of {_BITRATES_KBPS[version][1:]}"
            )
        if not 0 <= quality <= 9:
            raise ValueError(f"LAME quality runs from 0 (best) to 9 (fastest), got {quality}")
        self.rate = rate
        self.bitrate_kbps = bitrate_kbps
        self.quality = quality
        self._lame = lameenc.Encoder()
        self._lame.set_bit_rate(bitrate_kbps)
        self._lame.set_in_sample_rate(rate)
        # Pin the output rate: left alone, LAME may resample to a rate it prefers for the
        # bit rate, which would change the frame size and the decoded length.
        self._lame.set_out_sample_rate(rate)
        self._lame.set_channels(1)
        self._lame.set_quality(quality)
        self._lame.silence()  # LAME otherwise prints its settings on stdout
        self._frames = _FrameCounter()
        self._samples = 0
        self._flushed = False

    @property
    def samples(self) -> int:
        """Input samples encoded so far."""
        return self._samples

    @property
    def frame_samples(self) -> int:
        """Samples per MP3 frame at this rate (576 at 22,050 Hz)."""
        return FRAME_SAMPLES_MPEG1 if _RATES[self.rate][2] == 1 else FRAME_SAMPLES_MPEG2

    def encode(self, chunk: Samples) -> bytes:
        """MP3 bytes for the next samples (often empty: LAME buffers whole frames)."""
        if self._flushed:
            raise RuntimeError("this encoder is finished: flush() was already called")
        array = np.asarray(chunk)
        if array.ndim != 1 or array.dtype != np.int16:
            raise ValueError(f"expected mono int16 samples, got {array.dtype} {array.shape}")
        if array.size == 0:
            return b""
        self._samples += int(array.size)
        data = bytes(self._lame.encode(array.astype("<i2", copy=False).tobytes()))
        self._frames.feed(data)
        return data

    def flush(self) -> bytes:
        """The last frames, padded with silence to a whole frame. Call once, at the end."""
        if self._flushed:
            raise RuntimeError("flush() was already called")
        self._flushed = True
        if self._samples == 0:
            return b""  # lameenc refuses to flush an encoder that never saw a sample
        data = bytes(self._lame.flush())
        self._frames.feed(data)
        return data

    @property
    def padding_samples(self) -> int:
        """Silent samples LAME added after the input (known after `flush`)."""
        decoded = self._frames.frames * self.frame_samples
        return max(0, decoded - ENCODER_DELAY_SAMPLES - self._samples)

    def header(self) -> bytes:
        """The info frame to put before the stream; always the same length.

        Before `flush` it is a placeholder (a silent frame that every decoder plays as
        silence). After `flush` it is a Xing "Info" frame with a LAME tag holding the frame
        count, the stream length, the encoder delay and the end padding.
        """
        version_bits, rate_index, version = _RATES[self.rate]
        mpeg1 = version == 1
        side_info = 17 if mpeg1 else 9  # mono
        bitrates = _BITRATES_KBPS[version]
        # The stream's own bit rate keeps every frame alike (some players judge "constant
        # bit rate" by the first frame); a lower rate than the tag needs takes the next up.
        kbps = next(
            rate
            for rate in (self.bitrate_kbps, *bitrates[1:])
            if _frame_size(rate, self.rate, mpeg1=mpeg1, padded=False)
            >= side_info + _INFO_FIELDS_BYTES
        )
        bitrate_index = bitrates.index(kbps)
        size = _frame_size(kbps, self.rate, mpeg1=mpeg1, padded=False)
        frame = bytearray(size)
        # Sync, version, Layer III, no CRC | bit rate, sample rate | mono, original.
        frame[0:4] = bytes(
            (0xFF, 0xE0 | version_bits << 3 | 0b011, bitrate_index << 4 | rate_index << 2, 0xC4)
        )
        if not self._flushed:
            return bytes(frame)  # all-zero side info and data: a silent frame
        at = 4 + side_info
        stream_bytes = size + self._frames.bytes
        # Xing/Info header: "Info" marks constant bit rate; flags 0x3 = frames and bytes.
        frame[at : at + 16] = b"Info" + struct.pack(">III", 3, self._frames.frames, stream_bytes)
        at += 16
        lame = bytearray(36)
        lame[0:9] = b"LAME4.0\0\0"  # the version string lameenc's LAME puts in its frames
        lame[9] = 0x01  # tag revision 0, CBR
        lame[20] = min(255, self.bitrate_kbps)
        delay_padding = ENCODER_DELAY_SAMPLES << 12 | min(self.padding_samples, 0xFFF)
        lame[21:24] = delay_padding.to_bytes(3, "big")
        lame[28:32] = struct.pack(">I", stream_bytes)  # "music length"
        # lame[32:34] is the CRC of the audio data; 0 means unknown and readers skip it.
        frame[at : at + 36] = lame
        # The tag CRC covers the frame from its first byte up to the CRC field (LAME's
        # "first 190 bytes" is that span for a frame with the seek table).
        frame[at + 34 : at + 36] = struct.pack(">H", _crc16(bytes(frame[: at + 34])))
        return bytes(frame)


def write_mp3(
    path: Path,
    chunks: Iterable[Samples],
    total: int,
    progress: Progress | None = None,
) -> None:
    """Encode `chunks` (`total` samples in all) into the MP3 file at `path`, gapless.

    The info frame (encoder delay and padding) is only known at the end: a placeholder of
    the same size is written first and overwritten then (see the module docstring).
    """
    encoder = Mp3Encoder(SAMPLE_RATE)
    done = 0
    with open(path, "wb") as file:
        file.write(encoder.header())
        for chunk in chunks:
            file.write(encoder.encode(chunk))
            done += len(chunk)
            if progress:
                progress(done, total)
        file.write(encoder.flush())
        file.seek(0)
        file.write(encoder.header())
