"""The lowest sounding pitch class per frame: the bass line, as 12 pitch-class rows.

Bass notes are where drumless music marks its bars most often (a new bass note on the
downbeat, the "oom" of an oom-pah-pah), and full-band chroma hides them under the
melody and inner voices. A constant-Q spectrum over the bass register is computed, and
in each frame the lowest bin within :data:`STRONG_DB` of the frame's loudest is taken
as the sounding bass note (harmonics lie above it): its pitch class gets the frame's
bass magnitude, the other rows zero. Frames share the chroma analysis's hop.

Long files are processed in windows (:mod:`meterlab.dsp.windows`).
"""
import librosa
import numpy as np

from .. import config
from ..dsp.windows import windowed_frames

NEEDS = ("audio",)
LIBRARIES = ("librosa",)
HOP = 512
#: The bass register: three octaves up from E1 (41 Hz, a double bass's low string) to
#: D#4, where a chorale's bass or a pianist's left hand sits.
LOWEST_NOTE = "E1"
OCTAVES = 3
#: A bin this close (dB) to the frame's loudest bass-register bin counts as sounding.
STRONG_DB = 12.0
#: Frames whose loudest bin is this far (dB) below the file's loudest are silent.
SILENCE_DB = 40.0


def _bass_frames(y):
    """(frames, 12): magnitude of the lowest strong constant-Q bin, at its pitch class."""
    fmin = librosa.note_to_hz(LOWEST_NOTE)
    magnitude = np.abs(librosa.cqt(y, sr=config.SAMPLE_RATE, hop_length=HOP, fmin=fmin,
                                   n_bins=12 * OCTAVES, bins_per_octave=12))
    level = librosa.amplitude_to_db(magnitude, ref=np.max)
    loudest = level.max(axis=0)
    lowest = np.argmax(level >= loudest - STRONG_DB, axis=0)
    frames = np.arange(magnitude.shape[1])
    bass = np.zeros((magnitude.shape[1], 12))
    pitch_class = (lowest + librosa.note_to_midi(LOWEST_NOTE)) % 12
    bass[frames, pitch_class] = magnitude[lowest, frames] * (loudest > -SILENCE_DB)
    return bass


def compute(analysis):
    bass = windowed_frames(_bass_frames, analysis.audio(config.SAMPLE_RATE), HOP,
                           config.SAMPLE_RATE)
    return {"bass": np.ascontiguousarray(bass.T, dtype=np.float32),
            "fps": config.SAMPLE_RATE / HOP}
