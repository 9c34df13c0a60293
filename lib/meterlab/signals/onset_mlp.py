"""The onset MLP's meter probabilities (out of fold for its own training files).

See :mod:`meterlab.learn.onset_mlp` for why training files get out-of-fold scores. The
checkpoint is the model file, so retraining invalidates exactly this signal's cache; it is
the user's (``make onset-mlp``) when there is one, else the one shipped in the package.
"""
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import config
from ..learn import onset_mlp, shipped
from ..engine.file_analysis import Unavailable
from ..engine.versions import analysis_version

NEEDS = ("onset_features",)
LIBRARIES = ("torch",)


def model_file():
    """The checkpoint in use: the user's, else the shipped one (both read at call time:
    tests repoint them). Its hash is in this signal's version, so the cache follows it."""
    own = Path(config.ONSET_MLP_CHECKPOINT)
    return own if own.is_file() else shipped.path(shipped.ONSET_MLP)


@lru_cache(maxsize=2)
def _checkpoint(path, modified_ns, size):
    """The checkpoint, once per process and version (mtime and size are only cache keys)."""
    return onset_mlp.load(path)


def _current_checkpoint():
    path = model_file()
    if not path.is_file():
        raise Unavailable(f"no onset MLP model at {config.ONSET_MLP_CHECKPOINT} (and none "
                          f"shipped at {path}): run `make onset-mlp`")
    stat = path.stat()
    checkpoint = _checkpoint(str(path), stat.st_mtime_ns, stat.st_size)
    features_now = analysis_version("onset_features")
    if checkpoint["feature_version"] != features_now:
        raise Unavailable(f"onset MLP model at {path} was trained on another version of "
                          "onset_features: run `make onset-mlp`")
    return checkpoint


def scores(analysis):
    checkpoint = _current_checkpoint()
    features = analysis["onset_features"]["features"]
    probabilities = onset_mlp.predict(checkpoint, features, analysis.key)
    result = np.zeros(len(config.CANDIDATE_METERS), dtype=np.float32)
    for meter, probability in zip(checkpoint["classes"], probabilities):
        result[config.CANDIDATE_METERS.index(meter)] = probability
    return result
