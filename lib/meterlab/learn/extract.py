"""Extraction: every signal's scores for every file of a split, as the arbiter's data
(:class:`~meterlab.learn.table.ScoreTable`), with what went wrong on the way."""
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .. import config
from ..engine.scoring import run_files
from ..engine.versions import signal_version
from .table import ScoreTable

#: Below this share of files on which it ran (did not fail) a signal is too sparse to
#: train on: the arbiter would learn its failures.
MIN_COVERAGE = 0.9
#: Below this share of files on which it is available a signal stops extraction unless
#: allowed (``--allow-missing``): the upstream system once trained on a key signal
#: present on 18% of the files.
MIN_AVAILABLE = 0.5


class CoverageError(Exception):
    """A signal is missing on too many files for its scores to be trusted."""


@dataclass
class Extraction:
    """A score table plus what went wrong while making it."""

    table: ScoreTable
    #: ``(path, cause)`` for unusable files (left out) and failing signals.
    problems: list
    #: Signal -> Counter of the reasons it was unavailable (reason -> files).
    unavailable: dict
    #: Signal -> files on which it failed (an error, not a known unavailability).
    failures: Counter

    @property
    def unavailable_reasons(self):
        """Signal -> its most frequent reason for being unavailable."""
        return {name: reasons.most_common(1)[0][0]
                for name, reasons in self.unavailable.items() if reasons}

    def ran_share(self):
        """Per signal, the share of files on which it ran (scored or said unavailable)."""
        total = max(len(self.table.paths), 1)
        return {name: 1 - self.failures[name] / total for name in self.table.signals}


def score_table(entries, signals, workers=1, cache_root=config.CACHE_DIR, progress=True,
                scheduler=None):
    """Run the engine on ``entries`` and collect an :class:`Extraction`.

    Unusable files (bad audio) are left out and reported; a signal unavailable or
    failing on a file gets zero scores and ``available=False`` there.
    """
    rows, problems, reasons, failures = [], [], {}, Counter()
    paths = [entry.path for entry in entries]
    for entry, result in zip(entries, run_files(paths, signals, workers, cache_root,
                                                progress, "extract", scheduler)):
        if result.error:
            problems.append((result.path, result.error))
            continue
        for name, error in result.failed.items():
            problems.append((result.path, f"signal {name} failed: {error}"))
            failures[name] += 1
        for name, reason in result.unavailable.items():
            reasons.setdefault(name, Counter())[reason] += 1
        rows.append((entry, result))
    table = results_table([entry for entry, _ in rows], [result for _, result in rows], signals)
    return Extraction(table, problems, reasons, failures)


def results_table(entries, results, signals):
    """A :class:`ScoreTable` from the engine's results for ``entries`` (aligned lists);
    an unlabelled entry (prediction) gets meter 0."""
    scores = np.zeros((len(results), len(signals), len(config.CANDIDATE_METERS)), np.float32)
    available = np.zeros((len(results), len(signals)), dtype=bool)
    for i, result in enumerate(results):
        for j, name in enumerate(signals):
            if name in result.scores:
                scores[i, j] = result.scores[name]
                available[i, j] = True
    versions = {name: signal_version(name) for name in signals}
    return ScoreTable(tuple(signals), versions, [str(entry.path) for entry in entries],
                      [entry.song_id for entry in entries],
                      np.array([entry.meter or 0 for entry in entries], dtype=np.int64),
                      scores, available, [entry.dataset for entry in entries])


def check_coverage(extraction, minimum=MIN_COVERAGE, min_available=MIN_AVAILABLE,
                   allow_missing=()):
    """Signals to keep and those dropped (name -> reason); :class:`CoverageError` if any
    signal is too sparse.

    A signal unavailable on every file (no checkpoint installed, say) is left out with
    its reason. A signal that *failed* (raised an error) on more than ``1 - minimum`` of
    the files is an error: training on it would teach the arbiter its failures. So is a
    signal *available* on fewer than ``min_available`` of the files, with its reasons
    counted, unless it is named in ``allow_missing``; being unavailable on some files by
    design (a gate) is information, kept.
    """
    available = extraction.table.coverage()
    keep, dropped, errors = [], {}, []
    for name, share in extraction.ran_share().items():
        if share < minimum:
            errors.append(f"{name} ran on {share:.0%} of the files (minimum {minimum:.0%}; "
                          "see the errors above; --min-coverage to override)")
        elif available[name] == 0:
            dropped[name] = extraction.unavailable_reasons.get(name, "unavailable everywhere")
        elif available[name] < min_available and name not in allow_missing:
            reasons = "; ".join(f"{count} x {reason}" for reason, count
                                in extraction.unavailable.get(name, Counter()).most_common())
            errors.append(f"{name} available on {available[name]:.0%} of the files (minimum "
                          f"{min_available:.0%}; unavailable: {reasons}; "
                          f"--allow-missing {name} to keep it)")
        else:
            keep.append(name)
    if errors:
        raise CoverageError("signals too sparse to train on:\n  " + "\n  ".join(errors))
    return keep, dropped
