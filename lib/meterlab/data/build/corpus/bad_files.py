"""Files that cannot be analysed, one of each kind the audio loader names.

Written beside good audio to check that a batch run reports each by name and cause and
still predicts the others (the tests, and ``scripts/setup/make_mixed_folder.py``).
"""
from pathlib import Path

import numpy as np
import soundfile as sf

from ....config import SAMPLE_RATE

#: File name -> words of the cause predict/eval report for it.
BAD_FILES = {
    "empty.wav": "file is empty",
    "corrupt.wav": "cannot decode audio",
    "truncated.mp3": "cannot decode audio",
    "text-named.wav": "cannot decode audio",
    "short.wav": "too short",
    "short.ogg": "too short",
    "silent.flac": "audio is silent",
    "non-finite.wav": "non-finite samples",
    "song.m4a": "cannot decode audio",
    "song.aac": "cannot decode audio",
}


def write_bad_files(folder):
    """Write every file of :data:`BAD_FILES` into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(range(40)))
    (folder / "truncated.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x0f" + bytes(30))
    (folder / "text-named.wav").write_text("not audio at all\n")
    sf.write(folder / "short.wav", tone, SAMPLE_RATE)
    sf.write(folder / "short.ogg", tone[: SAMPLE_RATE // 2], SAMPLE_RATE)
    sf.write(folder / "silent.flac", np.zeros(5 * SAMPLE_RATE), SAMPLE_RATE)
    sf.write(folder / "non-finite.wav", np.full(5 * SAMPLE_RATE, np.nan, dtype=np.float32),
             SAMPLE_RATE, subtype="FLOAT")
    (folder / "song.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00")
    (folder / "song.aac").write_bytes(b"\xff\xf1\x50\x80\x02\x1f\xfc")
    return [folder / name for name in BAD_FILES]
