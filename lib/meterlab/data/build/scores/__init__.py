"""The embedded real-score dataset: human-composed works from the music21 corpus, performed.

:func:`build_scores` selects works with one time signature (:mod:`.catalogue`, which also
holds the meter rule), extracts their notes (:mod:`.extract`), plays excerpts of 20-30 s
as expressive performances (:mod:`meterlab.data.build.performance`) and writes, under ``out_dir``::

    audio/<excerpt_id>.flac          mono, PCM_16, SAMPLE_RATE
    annotations/<excerpt_id>.beats   "time<TAB>position_in_bar" per performed beat
    scores.json                      build parameters and every excerpt's work and choices
    counts.json                      excerpts per class, per source and per split
    manifest.csv                     path,meter,split,song,source (written last, atomically)

Melody-only tunes get a bass and chords in most pieces (:mod:`.accompaniment`), as folk
tunes are usually heard. Splits are by work: ``song`` is the work id (:func:`.catalogue.work_id`), and the split a
salted hash of it, so every excerpt, copy and arrangement of one work lands in one split.
Every work's randomness comes from ``(seed, work key)`` alone, so the dataset is the same
whatever the worker count.

Real scores are mostly in 3 and 4: the corpus has a handful of works in 5 and 7 (Essen
folk songs), all taken; the synthetic generator stays the main source of those classes.
"""
import os
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from .... import config
from ....engine.atomic import write_json
from ....engine.run import map_files
from ...datasets import hash_split, stable_hash
from ...layout import ANNOTATION_DIR, AUDIO_DIR, start_dataset, write_beats, write_manifest
from ..render import SOUNDFONT_PATH, render
from ..performance import draw_style, perform
from .accompaniment import accompany
from .catalogue import slug
from .notes import ScoreError, cached_score

MANIFEST_COLUMNS = ("path", "meter", "split", "song", "source")
PARAMS_NAME = "scores.json"
COUNTS_NAME = "counts.json"
#: Shares of works per split (by salted hash of the work id).
SPLIT_FRACTIONS = (("train", 0.6), ("val", 0.2), ("test", 0.2))
SPLIT_SALT = "meterlab-scores"
#: Excerpt length is drawn uniformly from this range (seconds).
DURATION_RANGE_S = (20.0, 30.0)
#: Silence before the first performed beat, drawn uniformly (seconds).
MAX_LEAD_S = 0.5
#: A work holds one excerpt per this many times the longest excerpt (at its base tempo), so
#: that ritardandi and fermatas do not run the last excerpt past the end of the music.
EXCERPT_ROOM = 1.3
#: Share of melody-only works (folk tunes) played with a bass and chords added.
P_ACCOMPANIED = 0.7
#: Where parsed scores are cached (never committed: under data/).
PARSE_CACHE = config.CACHE_DIR / "scores"


class ScoresSize(NamedTuple):
    """How many works per (source, class), and how many excerpts at most per work."""

    works_per_source_class: int
    excerpts_per_work: int
    sources: tuple = None


#: ``default`` is sized for ``make all`` to stay within its time budget; ``small`` for
#: tests (a few excerpts from two sources); ``large`` for users with more time.
SIZES = {
    "small": ScoresSize(1, 1, ("bach", "essenFolksong")),
    "default": ScoresSize(24, 1),
    "large": ScoresSize(120, 3),
}


def select_works(works, classes, size, seed):
    """The works a build plays: up to ``size.works_per_source_class`` per (source, class),
    in an order given by a hash of ``seed`` and the work, one file per piece (a piece's
    ``.krn`` and ``.mxl`` share a work id and a file stem)."""
    chosen, per_group, seen = [], Counter(), set()
    for work in sorted(works, key=lambda w: (stable_hash(f"{seed}:{w.key}"), w.key)):
        group = (work.source, work.meter)
        piece = (work.work_id, Path(work.path).stem, work.number)
        if (work.meter not in classes or (size.sources and work.source not in size.sources)
                or per_group[group] >= size.works_per_source_class or piece in seen):
            continue
        chosen.append(work)
        per_group[group] += 1
        seen.add(piece)
    return sorted(chosen, key=lambda work: work.key)


def excerpt_split(work):
    """The split of every excerpt of ``work``: a salted hash of its work id."""
    return hash_split(work.work_id, SPLIT_FRACTIONS, SPLIT_SALT)


def works_across_splits(rows):
    """``{song: splits}`` for every song (work) whose excerpts lie in more than one split."""
    splits = {}
    for row in rows:
        splits.setdefault(row[3], set()).add(row[2])
    return {song: sorted(names) for song, names in splits.items() if len(names) > 1}


def build_scores(out_dir, works, excerpts_per_work, seed=0, workers=1, soundfonts=(SOUNDFONT_PATH,),
                 cache_dir=PARSE_CACHE, progress=True, scheduler=None):
    """Perform ``works`` (see :func:`select_works`) into a dataset under ``out_dir``.

    Returns ``(manifest path, counts, problems)``: ``problems`` lists ``"<work>: <cause>"``
    for works that could not be used (a file music21 cannot parse, a score with no full
    bar); the build goes on without them.
    """
    import music21  # noqa: F401  imported once here, so forked workers share it

    out_dir = Path(out_dir)
    manifest = start_dataset(out_dir)
    jobs = [(str(out_dir), work, seed, excerpts_per_work, tuple(map(str, soundfonts)), str(cache_dir))
            for work in works]
    rows, excerpts, problems = [], {}, []
    for result in map_files(_build_work, jobs, workers, progress, "performing scores", _lost_work,
                            scheduler):
        if isinstance(result, str):
            problems.append(result)
            continue
        for row, excerpt_id, info in result:
            rows.append(row)
            excerpts[excerpt_id] = info
    rows.sort()
    crossing = works_across_splits(rows)
    if crossing:
        raise AssertionError(f"works in more than one split: {crossing}")
    counts = count_excerpts(rows)
    counts["audio_minutes"] = round(sum(info["duration_s"] for info in excerpts.values()) / 60, 1)
    write_json(out_dir / COUNTS_NAME, counts)
    write_json(out_dir / PARAMS_NAME, {
        "seed": seed, "excerpts_per_work": excerpts_per_work, "sample_rate": config.SAMPLE_RATE,
        "soundfonts": [str(s) for s in soundfonts], "split_fractions": dict(SPLIT_FRACTIONS),
        "problems": problems, "excerpts": excerpts})
    write_manifest(manifest, MANIFEST_COLUMNS, rows)
    return manifest, counts, problems


def count_excerpts(rows):
    """``{"class": {meter: n}, "source": {source: {meter: n}}, "split": {split: {meter: n}},
    "works": {meter: n}}`` over manifest rows."""
    counts = {"class": Counter(), "source": {}, "split": {}, "works": Counter()}
    works = set()
    for path, meter, split, song, source in rows:
        counts["class"][meter] += 1
        counts["source"].setdefault(source, Counter())[meter] += 1
        counts["split"].setdefault(split, Counter())[meter] += 1
        works.add((song, meter))
    counts["works"] = Counter(meter for _, meter in works)
    return _plain(counts)


def _plain(value):
    """Counters and dicts with int keys as JSON-able dicts with string keys, sorted."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return value


def _build_work(job):
    """Perform and write every excerpt of one work; a problem comes back as a string."""
    out_dir, work, seed, max_excerpts, soundfonts, cache_dir = job
    try:
        score = cached_score(work, cache_dir)
    except ScoreError as error:
        return str(error)
    rng = np.random.default_rng(np.random.SeedSequence([seed, stable_hash(work.key)]))
    accompanied = score.n_parts == 1 and rng.random() < P_ACCOMPANIED
    if accompanied:
        score = accompany(score, rng)
    style = draw_style(score.n_parts, rng, soundfonts)
    plan = _excerpt_plan(score, style, max_excerpts, rng)
    score = long_enough(score, style)
    results = []
    for index, (start, duration_s) in enumerate(plan):
        performance = perform(score, style, rng, start, duration_s, float(rng.uniform(0, MAX_LEAD_S)))
        if len(performance.beats) < 2 * score.meter:
            return f"{work.key}: excerpt {index} holds fewer than two bars"
        excerpt_id = f"{slug(work.key)}-{index}"
        _write_excerpt(out_dir, excerpt_id, performance, duration_s)
        info = {"work": work.key, "work_id": work.work_id, "title": work.title,
                "time_signature": work.time_signature, "duration_s": round(duration_s, 3),
                "accompanied": bool(accompanied), **performance.info, "style": style.info()}
        row = (f"{AUDIO_DIR}/{excerpt_id}.flac", work.meter, excerpt_split(work), work.work_id, work.source)
        results.append((row, excerpt_id, info))
    return results


def _music_span(score, style):
    """First grid beat of the music and its length in seconds at the base tempo."""
    first = float(np.floor(score.onsets.min() - score.downbeat) + score.downbeat)
    return first, (score.end - first) * 60.0 / style.tempo_bpm


def long_enough(score, style):
    """A short piece (a song's verse, a tune) repeated until it holds the longest excerpt
    with room to spare, as such pieces are played."""
    need = 1.5 * DURATION_RANGE_S[1]
    length_s = _music_span(score, style)[1]
    return score if length_s >= need else score.repeated(int(np.ceil(need / max(length_s, 1.0))) + 1)


def _excerpt_plan(score, style, max_excerpts, rng):
    """``[(start beat, duration s)]``: up to ``max_excerpts`` excerpts, one per stretch of
    :data:`EXCERPT_ROOM` longest excerpts, each starting on a beat within its stretch."""
    first, length_s = _music_span(score, style)
    n_excerpts = int(np.clip(length_s // (EXCERPT_ROOM * DURATION_RANGE_S[1]), 1, max_excerpts))
    span = (_music_span(long_enough(score, style), style)[1] * style.tempo_bpm / 60.0) / n_excerpts
    plan = []
    for index in range(n_excerpts):
        duration_s = float(rng.uniform(*DURATION_RANGE_S))
        slack = max(span - duration_s * style.tempo_bpm / 60.0, 1.0)
        plan.append((first + float(np.floor(index * span + rng.uniform(0, slack))), duration_s))
    return plan


def _write_excerpt(out_dir, excerpt_id, performance, duration_s):
    """Render the excerpt with its style's SoundFont; write its FLAC and its beats."""
    audio = render(performance.midi, duration_s, soundfont=performance.style.soundfont)
    sf.write(os.path.join(out_dir, AUDIO_DIR, f"{excerpt_id}.flac"), audio, config.SAMPLE_RATE,
             format="FLAC", subtype="PCM_16")
    write_beats(os.path.join(out_dir, ANNOTATION_DIR, f"{excerpt_id}.beats"),
                performance.beats, performance.positions)


def _lost_work(job, cause):
    return f"{job[1].key}: {cause}"
