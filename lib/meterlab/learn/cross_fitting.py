"""Cross-fitting a learned signal: out-of-fold scores for the files it trained on.

A learned signal's scores feed the arbiter, which trains on the same tuning files. A
model that has seen a file scores it over-confidently, and the arbiter would learn to
trust that score more than it deserves on new music (a stacking leak). So a checkpoint
holds a *full* model, for every file it never saw, and K *fold* models, fold ``f``
trained without the songs of fold ``f``, with ``fold_of`` (audio key -> fold): a training
file is scored by the fold model that never saw its song.
"""
import numpy as np

from ..data.datasets import song_folds


def file_folds(song_ids, audio_keys, n_folds, salt):
    """Fold of each file: its song's fold, or the fold of an earlier copy of its audio.

    The same audio under two song ids (a duplicate in a dataset) must sit in one fold,
    or a fold model would have trained on the very audio it scores out of fold.
    """
    fold_of_song = song_folds(song_ids, n_folds, salt)
    fold_of_key = {}
    for song_id, key in zip(song_ids, audio_keys):
        fold_of_key.setdefault(key, fold_of_song[song_id])
    folds = np.array([fold_of_key[key] for key in audio_keys], dtype=np.int64)
    empty = sorted(set(range(n_folds)) - set(folds.tolist()))
    if empty:
        raise ValueError(f"no songs fall in fold(s) {empty} of {n_folds}: use fewer folds")
    return folds


def model_for(checkpoint, audio_key):
    """``(name, entry)`` of the model that scores ``audio_key``: the fold model that never
    saw it when it is a training file, else the full model."""
    fold = checkpoint["fold_of"].get(str(audio_key))
    if fold is None:
        return "full", checkpoint["full"]
    return f"fold {fold}", checkpoint["folds"][fold]
