"""The rhythm signals (bar_tracking, autocorr, hcdf) on audio whose meter is known."""
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from meterlab import config
from meterlab.engine.file_analysis import Unavailable
from meterlab.dsp.curves import unbiased_autocorrelation
from meterlab.engine.scoring import analyse_file
from meterlab.signals import autocorr, bar_tracking, hcdf
from tests.conftest import click_track

SR = config.SAMPLE_RATE
BPM = 120.0
DURATION = 16.0
RHYTHM_SIGNALS = ("bar_tracking", "autocorr", "hcdf")
#: Triads (MIDI notes) cycled through by the chord audio: C, F, G, A minor.
TRIADS = ((60, 64, 67), (65, 69, 72), (67, 71, 74), (57, 60, 64))


def chord_track(beats_per_chord, duration=DURATION, bpm=BPM):
    """Sine triads changing every ``beats_per_chord`` beats, over equal clicks on every beat.

    The clicks give the beat tracker a pulse with no accent, so only harmony marks a bar.
    """
    t = np.arange(int(duration * SR)) / SR
    chord_index = (t // (beats_per_chord * 60.0 / bpm)).astype(int) % len(TRIADS)
    y = np.zeros_like(t)
    for index, triad in enumerate(TRIADS):
        for note in triad:
            tone = np.sin(2 * np.pi * 440.0 * 2 ** ((note - 69) / 12) * t)
            y += 0.1 * tone * (chord_index == index)
    clicks = click_track(duration, SR, bpm, beats_per_bar=1) / 0.9 * 0.3
    return (y + clicks).astype(np.float32)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Run the rhythm signals once per synthetic file; results by name."""
    folder = tmp_path_factory.mktemp("rhythm")
    rng = np.random.default_rng(0)
    audio = {
        "clicks3": click_track(DURATION, SR, BPM, beats_per_bar=3),
        "clicks4": click_track(DURATION, SR, BPM, beats_per_bar=4),
        "chords3": chord_track(3),
        "chords4": chord_track(4),
        "noise": (0.1 * rng.standard_normal(int(DURATION * SR))).astype(np.float32),
    }
    results = {}
    for name, y in audio.items():
        path = folder / f"{name}.wav"
        sf.write(path, y, SR)
        results[name] = analyse_file(path, signals=RHYTHM_SIGNALS, cache_root=folder / "cache")
    return results


def _prefers(scores, expected, among=(3, 4)):
    """Whether ``expected`` has the highest score among the meters ``among``."""
    values = {m: scores[config.CANDIDATE_METERS.index(m)] for m in among}
    return max(values, key=values.get) == expected


@pytest.mark.parametrize("name", ["clicks3", "clicks4", "chords3", "chords4"])
def test_signals_give_one_non_negative_score_per_meter(analysed, name):
    result = analysed[name]
    assert not result.failed and result.error is None
    for signal in RHYTHM_SIGNALS:
        scores = result.scores[signal]
        assert scores.shape == (len(config.CANDIDATE_METERS),)
        assert np.all(np.isfinite(scores)) and np.all(scores >= 0)


@pytest.mark.parametrize("name, meter", [("clicks3", 3), ("clicks4", 4)])
def test_autocorr_finds_accented_bar(analysed, name, meter):
    assert _prefers(analysed[name].scores["autocorr"], meter)


@pytest.mark.parametrize("name, meter", [("chords3", 3), ("chords4", 4)])
def test_hcdf_finds_chord_changes(analysed, name, meter):
    assert _prefers(analysed[name].scores["hcdf"], meter)
    assert _prefers(analysed[name].scores["hcdf"], meter, among=(2, 3, 4, 5, 7))


def test_bar_tracking_declines_noise_with_a_reason(analysed):
    result = analysed["noise"]
    assert not result.failed
    assert "weak beats" in result.unavailable["bar_tracking"]


def test_bar_tracking_prefers_periodic_downbeats():
    probabilities = np.tile([0.9, 0.1, 0.1], 10)
    log_probs = bar_tracking.bar_log_probs(probabilities)
    assert config.CANDIDATE_METERS[int(np.argmax(log_probs))] == 3


@pytest.mark.parametrize("times, support, reason", [
    (np.arange(5) * 0.5, 0.8, "only 5 beats"),
    (np.cumsum(np.tile([0.2, 0.8], 10)), 0.8, "irregular"),
    (np.arange(20) * 0.5, 0.05, "weak beats"),
])
def test_bar_tracking_declines_unreliable_beats(times, support, reason):
    with pytest.raises(Unavailable, match=reason):
        bar_tracking.check_beats(times, support)


def _alternating(cv, n=40, interval=0.5):
    """Beat times whose intervals alternate ``interval * (1 -+ cv)``: exactly that CV."""
    return np.concatenate(([0.0], np.cumsum(interval * (1 + cv * np.resize([-1, 1], n - 1)))))


class _Analysis(dict):
    """Shared analyses as a dict, and the audio a signal would read."""

    def audio(self, sample_rate):
        return np.zeros(int(25 * sample_rate), dtype=np.float32)


def test_bar_tracking_scores_steady_supported_beats(monkeypatch):
    """Beats as steady and as weakly supported as the least steady (interval CV 0.035)
    and least supported (activation 0.27) of the corpus's training clips are scored."""
    fps = 100
    times = _alternating(0.035)
    activations = np.zeros((2500, 2))
    activations[np.round(times * fps).astype(int), 0] = 0.27
    analysis = _Analysis(beats={"times": times},
                         madmom_activations={"activations": activations, "fps": fps})
    monkeypatch.setattr(bar_tracking, "downbeat_probabilities",
                        lambda y, beat_times: np.resize([0.9, 0.1, 0.1], len(beat_times) - 1))
    scores = bar_tracking.scores(analysis)
    assert scores.shape == (len(config.CANDIDATE_METERS),)
    assert config.CANDIDATE_METERS[int(np.argmax(scores))] == 3 and scores.max() == 1.0


@pytest.mark.parametrize("cv, support, accepted", [
    (bar_tracking.MAX_INTERVAL_CV - 0.01, bar_tracking.MIN_BEAT_ACTIVATION, True),
    (bar_tracking.MAX_INTERVAL_CV + 0.01, 0.8, False),
    (0.0, bar_tracking.MIN_BEAT_ACTIVATION - 0.01, False),
])
def test_bar_tracking_beat_limits(cv, support, accepted):
    times = _alternating(cv)
    if accepted:
        assert bar_tracking.check_beats(times, support) is None
    else:
        with pytest.raises(Unavailable):
            bar_tracking.check_beats(times, support)


def test_beat_support_reads_activation_at_the_beats():
    activations = np.zeros((1000, 2))
    activations[100::50, 0] = 0.6
    times = np.arange(100, 1000, 50) / 100.0
    assert bar_tracking.beat_support(times, activations, fps=100) == pytest.approx(0.6)
    assert bar_tracking.beat_support(times + 0.25, activations, fps=100) == 0.0


def test_autocorr_contrast_prefers_bar_over_its_multiples():
    # Strong repetition every 3 beats (so also 6, 9, 12), weak at every other lag.
    values = {k: (0.8 if k % 3 == 0 else 0.3) for k in range(1, 14)}
    contrasts = autocorr.meter_contrasts(values)
    assert config.CANDIDATE_METERS[int(np.argmax(contrasts))] == 3


def test_autocorr_contrast_handles_untrusted_long_lags():
    values = {k: (0.8 if k % 4 == 0 else 0.3) if k <= 8 else np.nan for k in range(1, 14)}
    contrasts = autocorr.meter_contrasts(values)
    assert np.all(np.isfinite(contrasts))
    assert config.CANDIDATE_METERS[int(np.argmax(contrasts))] == 4


def test_autocorr_of_flat_curve_is_zero():
    assert not np.any(unbiased_autocorrelation(np.ones(100)))


def test_hcdf_contrast_prefers_change_period_over_divisors_and_multiples():
    rng = np.random.default_rng(1)
    values = 0.2 + 0.05 * rng.random(48)
    values[::4] += 1.0
    contrasts = hcdf.meter_contrasts(values)
    assert contrasts.shape == (len(config.CANDIDATE_METERS),)
    assert np.all(contrasts >= 0)
    assert config.CANDIDATE_METERS[int(np.argmax(contrasts))] == 4


def test_hcdf_gives_no_score_to_bars_that_do_not_fit_twice():
    values = np.tile([1.0, 0.2, 0.2], 6)
    contrasts = hcdf.meter_contrasts(values)
    assert np.all(np.isfinite(contrasts))
    assert np.all(contrasts[np.array(config.CANDIDATE_METERS) > 9] == 0)
    assert config.CANDIDATE_METERS[int(np.argmax(contrasts))] == 3


def test_hcdf_without_harmonic_change_is_unavailable():
    with pytest.raises(Unavailable):
        hcdf.meter_contrasts(np.zeros(24))


def test_hcdf_change_peaks_where_chord_changes():
    fps = SR / 512
    chroma = np.zeros((12, 200))
    chroma[[0, 4, 7], :100] = 1.0   # C major
    chroma[[5, 9, 0], 100:] = 1.0   # F major
    change = hcdf.harmonic_change(chroma, smoothing_frames=0.05 * fps)
    assert abs(int(np.argmax(change)) - 100) <= 1


def _flux_peak_bytes(y, hop):
    """Bytes numpy allocated at the peak of the low-band flux of ``y``, beyond ``y``."""
    tracemalloc.start()
    try:
        autocorr.low_band_flux(y, config.SAMPLE_RATE, hop)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_low_band_flux_of_a_long_file_is_windowed_seamlessly_in_flat_memory():
    """Low-band flux of 5 minutes, window by window, as of the whole file at once; its
    memory is the same for 2.5 and 5 minutes (the whole spectrum of an hour is 2 GB)."""
    hop = 512
    y = click_track(duration=300.0, sample_rate=config.SAMPLE_RATE, bpm=97.0)
    y += 0.01 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    whole = autocorr._low_band_flux(y, config.SAMPLE_RATE, hop)
    windowed = autocorr.low_band_flux(y, config.SAMPLE_RATE, hop)
    assert windowed.shape == whole.shape
    np.testing.assert_allclose(windowed, whole, rtol=1e-4, atol=1e-3 * whole.max())
    half, full = _flux_peak_bytes(y[:len(y) // 2], hop), _flux_peak_bytes(y, hop)
    assert full < 1.25 * half
