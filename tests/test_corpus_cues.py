"""The generator gives the classes no cue but the bar: every nuisance parameter it draws
(tempo, subdivision, instruments, drums, mix levels, offset, whether and how a clip is
performed expressively, ...) has one distribution for all meters.

A few hundred pieces' choices are drawn per class (no audio is rendered) and every
parameter is compared between every pair of classes with a two-sample test: KS for
continuous values, chi-square for categorical ones. The last two tests put back cues the
generator once had, and one it could have, and check that they are caught.
"""
import dataclasses
from itertools import combinations

import numpy as np
import pytest
from scipy import stats

from meterlab.config import DEFAULT_CLASSES
from meterlab.data.build.corpus import clip_rng
from meterlab.data.build.corpus import composer
from meterlab.data.build.corpus.composer import P_EXPRESSIVE, draw_choices
from meterlab.data.build.performance import Style

#: Pieces drawn per class: enough for the old meter-dependent tempo range (60-200 BPM for
#: 3 and 4, 93-200 for 7) to give p < 1e-7, well below the per-test threshold (~5e-6),
#: while the real generator's smallest p is ~0.01.
N_PER_CLASS = 400
#: Chance that a generator with no cue fails the whole family of tests (Bonferroni).
FAMILY_ALPHA = 1e-3
#: What the bar itself is made of (beats, their grouping, where the excerpt starts in the
#: bar): the meter, not a nuisance.
BAR_STRUCTURE = ("meter", "grouping", "start_position")
#: Floats taking more distinct values than this are continuous; anything else is categorical.
MAX_CATEGORIES = 30


def nuisance_parameters(choices):
    """``{name: value}`` of every drawn nuisance parameter: nested dicts flattened
    (``programs.bass``, ``style.rubato``; a strict-grid clip's style fields are None), and
    the excerpt start reduced to whether it falls mid-bar."""
    flat = {"starts_mid_bar": choices.start_position > 1, "expressive": choices.expressive,
            **{f"style.{field.name}": None for field in dataclasses.fields(Style)}}
    for name, value in choices.info().items():
        if name in BAR_STRUCTURE:
            continue
        if isinstance(value, dict) or name == "style":
            flat.update({f"{name}.{key}": item for key, item in (value or {}).items()})
        else:
            flat[name] = tuple(value) if isinstance(value, list) else value
    return flat


def draw_parameters(draw=draw_choices, classes=DEFAULT_CLASSES, n=N_PER_CLASS):
    """``{meter: [parameters of piece i]}``, each piece drawn from its corpus seed."""
    return {meter: [nuisance_parameters(draw(meter, clip_rng(0, meter, index)))
                    for index in range(n)] for meter in classes}


def two_sample_p(a, b):
    """p-value that ``a`` and ``b`` come from one distribution.

    Continuous values (floats taking many values; missing ones dropped, their share being
    another parameter's business) get KS; anything else chi-square over the categories.
    """
    pooled = a + b
    if all(isinstance(v, float) or v is None for v in pooled) and len(set(pooled)) > MAX_CATEGORIES:
        return stats.ks_2samp([v for v in a if v is not None], [v for v in b if v is not None]).pvalue
    categories = sorted(set(map(repr, pooled)))
    if len(categories) == 1:
        return 1.0
    table = [[list(map(repr, sample)).count(c) for c in categories] for sample in (a, b)]
    return stats.chi2_contingency(table).pvalue


def threshold(samples):
    """Per-test p threshold: :data:`FAMILY_ALPHA` shared over every parameter and pair."""
    n_parameters = len(next(iter(samples.values()))[0])
    return FAMILY_ALPHA / (n_parameters * len(list(combinations(samples, 2))))


def differing_parameters(samples):
    """``[(parameter, (meter, meter), p)]`` for each parameter whose distribution differs
    between two classes (p below :func:`threshold`)."""
    names = sorted(next(iter(samples.values()))[0])
    pairs = list(combinations(sorted(samples), 2))
    found = []
    for name in names:
        for first, second in pairs:
            p = two_sample_p([s[name] for s in samples[first]], [s[name] for s in samples[second]])
            if p < threshold(samples):
                found.append((name, (first, second), p))
    return found


@pytest.fixture(scope="module")
def generator_samples():
    return draw_parameters()


def test_every_nuisance_parameter_has_one_distribution_for_all_classes(generator_samples):
    parameters = set(generator_samples[DEFAULT_CLASSES[0]][0])
    assert {"tempo_bpm", "subdivisions", "swing", "offset_s", "starts_mid_bar", "programs.melody",
            "drum_mode", "drum_kit", "gains_db.drums", "drum_style.cymbal", "expressive", "style.rubato",
            "style.accent", "style.ensemble", "style.drums"} <= parameters
    assert differing_parameters(generator_samples) == []


def test_the_expressive_share_is_honoured(generator_samples):
    shares = [np.mean([s["expressive"] for s in samples]) for samples in generator_samples.values()]
    # 400 draws per class: a standard error of 0.024 per class, 0.012 overall.
    assert abs(np.mean(shares) - P_EXPRESSIVE) < 0.04
    assert all(abs(share - P_EXPRESSIVE) < 0.1 for share in shares)


def _old_meter_dependent_tempo(monkeypatch):
    """The generator's old tempo rule: 60-200 BPM cut to bars of 0.9-4.5 s per meter."""
    def draw(meter, rng):
        monkeypatch.setattr(composer, "TEMPO_RANGE_BPM",
                            (max(60.0, 60.0 * meter / 4.5), min(200.0, 60.0 * meter / 0.9)))
        return draw_choices(meter, rng)
    return draw


def _old_chord_split_rule(meter, rng):
    """The generator's old harmony rule: no mid-bar chord change drawn for one-group bars."""
    choices = draw_choices(meter, rng)
    return dataclasses.replace(choices, p_split=0.0) if len(choices.grouping) == 1 else choices


def test_drums_stay_in_most_clips_and_in_few_expressive_ones(generator_samples):
    samples = [s for per_class in generator_samples.values() for s in per_class]
    # Expected: (1 - P_EXPRESSIVE) * (1 - P_NO_DRUMS) strict clips with a kit (0.60), plus
    # P_EXPRESSIVE * performance.P_DRUMS expressive ones with light percussion (0.05).
    assert np.mean([s["drum_mode"] != "none" for s in samples]) > 0.6
    expressive = [s for s in samples if s["expressive"]]
    assert np.mean([s["drum_mode"] == "light" for s in expressive]) < 0.25
    assert {s["drum_mode"] for s in expressive} == {"light", "none"}


def _expressive_share_by_meter(monkeypatch):
    """A cue the generator could have: more expressive clips the more beats in the bar."""
    def draw(meter, rng):
        monkeypatch.setattr(composer, "P_EXPRESSIVE", 0.1 * meter - 0.1)
        return draw_choices(meter, rng)
    return draw


def test_the_old_meter_dependent_tempo_range_is_caught(monkeypatch):
    samples = draw_parameters(_old_meter_dependent_tempo(monkeypatch))
    found = differing_parameters(samples)
    assert {(name, pair) for name, pair, _ in found} >= {("tempo_bpm", (3, 7)), ("tempo_bpm", (4, 7))}
    assert {name for name, _, _ in found} <= {"tempo_bpm", "subdivisions"}
    assert all(p < threshold(samples) / 100 for _, _, p in found)


def test_the_old_class_dependent_chord_splits_are_caught():
    found = differing_parameters(draw_parameters(_old_chord_split_rule))
    assert {(name, pair) for name, pair, _ in found} == {("p_split", (3, m)) for m in (4, 5, 7)}


def test_a_meter_dependent_expressive_share_is_caught(monkeypatch):
    found = differing_parameters(draw_parameters(_expressive_share_by_meter(monkeypatch)))
    assert {("expressive", pair) for pair in ((3, 7), (4, 7), (3, 5))} <= {(name, pair) for name, pair, _ in found}
