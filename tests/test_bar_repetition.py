"""The bar_repetition signal on synthetic beat-level analyses whose beats repeat every bar."""
import numpy as np
import pytest

from meterlab import config
from meterlab.engine.file_analysis import Unavailable
from meterlab.signals import bar_repetition

FPS = 40.0
FRAMES_PER_BEAT = 20
BEATS = 48


def repeating_analysis(bar, beats=BEATS, noise=0.3, seed=0):
    """Beats ``FRAMES_PER_BEAT`` frames apart whose rhythm within the beat, chroma and
    bass repeat every ``bar`` beats (one random pattern per position in the bar), under
    independent noise; the loudness is noise alone."""
    rng = np.random.default_rng(seed)
    rhythm = rng.random((bar, bar_repetition.SUBDIVISIONS))
    harmony = rng.random((bar, 12))
    bass = np.eye(12)[rng.integers(0, 12, bar)]
    frames = beats * FRAMES_PER_BEAT
    part = FRAMES_PER_BEAT // bar_repetition.SUBDIVISIONS
    position = (np.arange(frames) // FRAMES_PER_BEAT) % bar
    envelope = rhythm[position, (np.arange(frames) % FRAMES_PER_BEAT) // part]
    return {
        "beats": {"times": np.arange(beats) * FRAMES_PER_BEAT / FPS,
                  "period": FRAMES_PER_BEAT / FPS},
        "onset": {"envelope": envelope + noise * rng.random(frames),
                  "rms": 1.0 + noise * rng.random(frames), "fps": FPS},
        "chroma": {"chroma": harmony[position].T + noise * rng.random((12, frames)),
                   "fps": FPS},
        "bass": {"bass": bass[position].T + noise * rng.random((12, frames)), "fps": FPS},
    }


def score_of(scores, meter):
    return scores[config.CANDIDATE_METERS.index(meter)]


@pytest.mark.parametrize("bar", [3, 4, 5, 7])
def test_the_repeating_bar_scores_highest_among_the_classes(bar):
    scores = bar_repetition.scores(repeating_analysis(bar))
    assert scores.shape == (len(config.CANDIDATE_METERS),)
    assert np.all(np.isfinite(scores)) and np.all(scores >= 0)
    assert max(config.DEFAULT_CLASSES, key=lambda m: score_of(scores, m)) == bar


@pytest.mark.parametrize("bar, multiples", [(3, (6, 9, 12)), (4, (12,))])
def test_a_bar_beats_its_multiples(bar, multiples):
    scores = bar_repetition.scores(repeating_analysis(bar))
    assert all(score_of(scores, bar) > score_of(scores, m) for m in multiples)


def test_a_two_beat_bar_is_called_four_among_the_classes():
    scores = bar_repetition.scores(repeating_analysis(2))
    assert max(config.DEFAULT_CLASSES, key=lambda m: score_of(scores, m)) == 4


def test_noise_leaves_no_bar_standing_out():
    """Scores compare across files: with nothing repeating, the runner-up is nearly as
    good as the best; with a bar it is far behind."""
    def runner_up(scores):
        return np.sort(scores)[-2]

    noise = bar_repetition.scores(repeating_analysis(1, noise=1.0))
    bars = bar_repetition.scores(repeating_analysis(4))
    assert runner_up(noise) > 0.5 > runner_up(bars)


def test_discount_multiples_keeps_what_a_multiple_adds_over_its_divisor():
    meters = (2, 3, 4, 6, 12)
    contrast = np.array([0.5, 0.4, 0.3, 0.45, 0.2])
    assert bar_repetition.discount_multiples(contrast, meters) == pytest.approx(
        [0.5, 0.4, 0.3, 0.05, 0.2 - 0.45])


def test_a_bar_too_long_to_fit_twice_gets_the_lowest_contrast():
    scores = bar_repetition.scores(repeating_analysis(3, beats=14))
    assert np.all(np.isfinite(scores))
    assert score_of(scores, 7) <= min(score_of(scores, m) for m in (2, 3, 4, 5))


def test_declines_too_few_beats():
    analysis = repeating_analysis(3, beats=5)
    with pytest.raises(Unavailable, match="only 5 beats"):
        bar_repetition.scores(analysis)


def test_declines_when_no_feature_varies():
    analysis = repeating_analysis(1, noise=0.0)
    with pytest.raises(Unavailable, match="varies"):
        bar_repetition.scores(analysis)


def test_beat_subdivisions_split_each_span_equally():
    times = np.array([0.0, 1.0, 3.0])
    assert bar_repetition.beat_subdivisions(times, 2).tolist() == [0.0, 0.5, 1.0, 2.0, 3.0]
