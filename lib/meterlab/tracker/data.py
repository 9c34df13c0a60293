"""Build the tracker's training data: performed music21 works and synthetic clips, each
made to sound like a recording, stored as features and beat/downbeat times.

Under ``out_dir`` (``data/tracker``, never committed)::

    clips/<clip>.npz        features (frames, bins) float16 of the augmented audio,
                            blstm_features likewise (madmom's downbeat input, for
                            :mod:`..learn.tracker.blstm`), beats and downbeats in seconds
    val/audio/<clip>.flac   the augmented audio of validation clips (to run madmom on
    val/annotations/...     them for the candidates' table), with their beats
    tracker_data.json       recipe, per-clip source, meter, split, duration; counts

Works come from :mod:`.works` (none of the real-score dataset's); synthetic clips from
the corpus composer with seeds of their own. Compound signatures are counted in dotted
beats (6/8 has two beats a bar, as a listener taps it) and duple ones in notated bars
(2/4 has its downbeat every second beat), so the tracker learns the beat as it is felt,
whatever meter class the arbiter's datasets give such music. Every clip's randomness
comes from ``(seed, clip key)`` alone: the data do not depend on the worker count.
"""
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from .. import config
from ..engine.atomic import write_json
from ..data.build.corpus.composer import compose
from ..data.build.render import SOUNDFONT_PATH, render
from ..data.datasets import stable_hash
from ..engine.run import map_files
from ..data.layout import ANNOTATION_DIR, AUDIO_DIR, write_beats
from ..data.build.performance import draw_style, perform
from ..data.build.scores import P_ACCOMPANIED, PARSE_CACHE, long_enough
from ..data.build.scores.accompaniment import accompany
from ..data.build.scores.catalogue import COMPOUND, read_catalogue, slug
from ..data.build.scores.notes import ScoreError, cached_score

from . import augment
from ..learn.tracker import blstm, features
from .works import VAL_FRACTION, tracker_works, work_split

PARAMS_NAME = "tracker_data.json"
#: Clip length, drawn uniformly (seconds); silence before the first beat likewise.
DURATION_RANGE_S = (20.0, 30.0)
MAX_LEAD_S = 1.0
#: Beat tempo of performed works, wider than the real-score dataset's so the tracker
#: meets slow chorales and fast reels alike; rubato up to this (log-tempo deviation).
TEMPO_RANGE_BPM = (45.0, 190.0)
MAX_RUBATO = 0.12
#: Meters of the synthetic clips (the composer's beats are the felt beats in these).
SYNTHETIC_METERS = (2, 3, 4, 5, 7)


def build(out_dir, works_per_group, synthetic_per_meter, seed=0, workers=1,
          soundfonts=(SOUNDFONT_PATH,), progress=True, scheduler=None):
    """Build the data; returns ``(params, problems)`` (``params`` as written to JSON)."""
    import music21  # noqa: F401  imported once here, so forked workers share it

    out_dir = Path(out_dir)
    for sub in ("clips", f"val/{AUDIO_DIR}", f"val/{ANNOTATION_DIR}"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    works = tracker_works(read_catalogue(PARSE_CACHE), works_per_group, seed)
    soundfonts = tuple(map(str, soundfonts))
    jobs = [(str(out_dir), "work", work, seed, soundfonts) for work in works]
    jobs += [(str(out_dir), "synthetic", (meter, index), seed, soundfonts)
             for meter in SYNTHETIC_METERS for index in range(synthetic_per_meter)]
    clips, problems = {}, []
    for result in map_files(_build_clip, jobs, workers, progress, "tracker data", _lost,
                            scheduler):
        if isinstance(result, str):
            problems.append(result)
        else:
            clips[result.pop("clip")] = result
    params = {"seed": seed, "works_per_group": works_per_group,
              "synthetic_per_meter": synthetic_per_meter, "soundfonts": list(soundfonts),
              "features": {"fps": features.FPS, "sample_rate": features.SAMPLE_RATE,
                           "frame_size": features.FRAME_SIZE},
              "val_fraction": VAL_FRACTION, "counts": count(clips), "problems": problems,
              "clips": clips}
    write_json(out_dir / PARAMS_NAME, params)
    return params, problems


def count(clips):
    """Clips per (source, meter) and per split, and hours of audio."""
    by_source = Counter(f"{c['source']} {c['meter']}" for c in clips.values())
    return {"clips": len(clips), "hours": round(sum(c["duration_s"] for c in clips.values()) / 3600, 2),
            "split": dict(Counter(c["split"] for c in clips.values())),
            "source_meter": dict(sorted(by_source.items()))}


def felt_beats(numerator, beats, positions):
    """Annotated beats as the tracker learns them: compound numerators in dotted beats
    (every third annotated beat), duple ones with a downbeat every notated bar."""
    if numerator in COMPOUND:
        keep = (positions - 1) % 3 == 0
        return beats[keep], (positions[keep] - 1) // 3 + 1
    if numerator == 2:
        return beats, (positions - 1) % 2 + 1
    return beats, positions


def _perform_work(work, rng, soundfonts, cache_dir=PARSE_CACHE):
    """A performed excerpt of ``work``: ``(midi, duration, beats, positions, info)``."""
    score = cached_score(work, cache_dir)
    if score.n_parts == 1 and rng.random() < P_ACCOMPANIED:
        score = accompany(score, rng)
    numerator = int(work.time_signature.split("/")[0])
    style = draw_style(score.n_parts, rng, soundfonts)
    tempo = float(rng.uniform(*TEMPO_RANGE_BPM)) * (3 if numerator in COMPOUND else 1)
    style = replace(style, tempo_bpm=tempo, rubato=float(rng.uniform(0, MAX_RUBATO)))
    score = long_enough(score, style)
    duration_s = float(rng.uniform(*DURATION_RANGE_S))
    played = perform(score, style, rng, None, duration_s, float(rng.uniform(0, MAX_LEAD_S)))
    beats, positions = felt_beats(numerator, played.beats, played.positions)
    return played.midi, style.soundfont, duration_s, beats, positions, numerator


def _build_clip(job):
    out_dir, kind, what, seed, soundfonts = job
    key = what.key if kind == "work" else f"synthetic:{what[0]}:{what[1]}"
    rng = np.random.default_rng(np.random.SeedSequence([seed, stable_hash(f"tracker:{key}")]))
    if kind == "work":
        try:
            midi, soundfont, duration_s, beats, positions, meter = _perform_work(what, rng, soundfonts)
        except ScoreError as error:
            return str(error)
        clip, source, group = f"w-{slug(what.key)}", what.source, what.work_id
    else:
        piece = compose(what[0], float(rng.uniform(*DURATION_RANGE_S)), rng, soundfonts)
        midi, soundfont, duration_s = piece.midi, piece.soundfont, piece.duration_s
        beats, positions, meter = piece.beats, piece.positions, what[0]
        clip, source, group = f"s-{what[0]}-{what[1]:04d}", "synthetic", key
    if len(beats) < 8 or not np.any(positions == 1):
        return f"{key}: fewer than 8 beats or no downbeat"
    split = work_split(group)
    audio = augment.augment(render(midi, duration_s, soundfont=soundfont), config.SAMPLE_RATE, rng)
    np.savez_compressed(os.path.join(out_dir, "clips", f"{clip}.npz"),
                        features=features.spectrogram(audio).astype(np.float16),
                        blstm_features=blstm.features(audio, config.SAMPLE_RATE).astype(np.float16),
                        beats=beats, downbeats=beats[positions == 1])
    if split == "val":
        sf.write(os.path.join(out_dir, "val", AUDIO_DIR, f"{clip}.flac"), audio, config.SAMPLE_RATE,
                 format="FLAC", subtype="PCM_16")
        write_beats(os.path.join(out_dir, "val", ANNOTATION_DIR, f"{clip}.beats"), beats, positions)
    return {"clip": clip, "source": source, "meter": int(meter), "work": group, "split": split,
            "duration_s": round(duration_s, 3)}


def _lost(job, cause):
    what = job[2]
    return f"{getattr(what, 'key', what)}: {cause}"
