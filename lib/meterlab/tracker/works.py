"""The music21 works the tracker trains on: every usable work that no real-score build uses.

The real-score dataset (:mod:`meterlab.data.build.scores`) picks works per (source, class) by a
hash of its seed; whatever it picks at any of its sizes, with the compound classes too,
is reserved for it, and the tracker takes only works with another work id (every copy and
arrangement of a work shares its id, :func:`meterlab.data.build.scores.catalogue.work_id`). So the
arbiter's tuning and test files never share a work with the tracker's training data.
"""
from collections import Counter

from ..data.datasets import hash_split, stable_hash
from ..data.build.scores import SIZES, select_works
from ..data.build.scores.catalogue import COMPOUND

#: Every class a real-score build can be asked for (the default ones and the compound).
ALL_SCORE_CLASSES = (3, 4, 5, 7) + COMPOUND
#: The seed of the real-score builds whose works are reserved (the Makefile's default).
SCORES_SEED = 0
#: Tracker works held out for validation (by salted hash of the work id), and the salt.
VAL_FRACTION = 0.1
SPLIT_SALT = "meterlab-tracker"


def reserved_work_ids(catalogue, seed=SCORES_SEED):
    """Work ids any real-score build (every size, every class) may use."""
    return {work.work_id for size in SIZES.values()
            for work in select_works(catalogue, ALL_SCORE_CLASSES, size, seed)}


def tracker_works(catalogue, per_source_meter, seed=0):
    """Up to ``per_source_meter`` works per (source, time-signature numerator), none of
    them reserved, one per work id, in an order given by a hash of ``seed``."""
    reserved = reserved_work_ids(catalogue)
    chosen, per_group, seen = [], Counter(), set(reserved)
    for work in sorted(catalogue, key=lambda w: (stable_hash(f"tracker:{seed}:{w.key}"), w.key)):
        group = (work.source, work.time_signature.split("/")[0])
        if work.work_id in seen or per_group[group] >= per_source_meter:
            continue
        chosen.append(work)
        per_group[group] += 1
        seen.add(work.work_id)
    return sorted(chosen, key=lambda work: work.key)


def work_split(work_id):
    """``"train"`` or ``"val"`` for every clip of one work."""
    return hash_split(work_id, (("train", 1 - VAL_FRACTION), ("val", VAL_FRACTION)), SPLIT_SALT)
