"""Gathering the onset MLP's training data: onset features of tuning files, via the cache."""
from .. import config
from ..engine.file_analysis import FileAnalysis, Unavailable
from ..engine.audio import AudioError
from ..engine.cache import Cache
from ..engine.run import map_files

FEATURES = "onset_features"


def file_features(job):
    """``(features, audio key, problem, seconds)`` of one file; features None if unusable.

    ``seconds`` is the time spent computing onset_features itself (0 from the cache).
    """
    path, cache_root = job
    try:
        analysis = FileAnalysis(path, Cache(cache_root))
        features = analysis[FEATURES]["features"]
    except (AudioError, Unavailable) as error:
        return None, None, str(error), 0.0
    return features, analysis.key, None, analysis.timings.get(FEATURES, 0.0)


def _lost(job, cause):
    return None, None, f"{job[0]}: {cause}", 0.0


def collect_features(paths, workers=1, cache_root=config.CACHE_DIR, scheduler=None):
    """:func:`file_features` of every path, in input order (on ``scheduler`` if given)."""
    return list(map_files(file_features, [(path, cache_root) for path in paths], workers,
                          description=FEATURES, on_lost=_lost, scheduler=scheduler))
