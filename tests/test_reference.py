"""The reference predictor answers what madmom's own DBNDownBeatTrackingProcessor answers."""
import numpy as np
import pytest

from meterlab.thirdparty import compat
from meterlab import config
from meterlab.evaluate import reference
from meterlab.engine.file_analysis import Unavailable

FPS = 100.0


def activations(beats_per_bar, seed, seconds=8.0, silent_head=0.0, silent_tail=0.0,
                bpm=120.0, ambiguity=0.0):
    """Noisy beat/downbeat activations of a steady bar of ``beats_per_bar``, with
    near-silent frames (below madmom's threshold) before and after: cropping matters.
    ``ambiguity`` puts that much downbeat activation on every beat."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * FPS)
    music = rng.uniform(0.001, 0.05, size=(frames, 2))
    period = 60.0 / bpm * FPS
    for index, frame in enumerate(np.arange(0, frames, period).astype(int)):
        downbeat = index % beats_per_bar == 0
        music[frame] = (0.02, rng.uniform(0.5, 0.8)) if downbeat else \
            (rng.uniform(0.4, 0.6), ambiguity + rng.uniform(0.0, 0.05))
    quiet = lambda seconds: rng.uniform(0.0, 0.01, size=(int(seconds * FPS), 2))  # noqa: E731
    return np.vstack([quiet(silent_head), music, quiet(silent_tail)]).astype(np.float32)


def madmom_meter(acts, classes):
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    beats = DBNDownBeatTrackingProcessor(beats_per_bar=list(classes), fps=FPS)(acts)
    return int(beats[:, 1].max()) if len(beats) else None


def reference_meter(acts, classes):
    try:
        row = reference.compute({"madmom_activations": {"activations": acts, "fps": FPS}})
    except Unavailable:
        return None
    return classes[int(np.argmax(reference.answers(row["log_probs"][None], classes)[0]))]


CASES = [(3, 0, {}), (4, 1, {"silent_head": 2.0, "silent_tail": 1.5}),
         (3, 2, {"bpm": 150.0, "ambiguity": 0.3}), (5, 3, {"silent_head": 1.0}),
         (4, 4, {"bpm": 95.0, "ambiguity": 0.3}), (7, 5, {"ambiguity": 0.3})]


@pytest.mark.parametrize("beats_per_bar, seed, options", CASES)
def test_reference_answers_as_madmoms_tracker(beats_per_bar, seed, options):
    acts = activations(beats_per_bar, seed, **options)
    for classes in ((3, 4), (3, 4, 5, 7)):
        assert reference_meter(acts, classes) == madmom_meter(acts, classes), classes


def test_cropping_changes_the_decoded_frames_as_madmoms_does():
    acts = activations(4, 5, silent_head=2.0, silent_tail=1.0)
    kept = reference.cropped(acts)
    assert len(kept) < len(acts) - 250 and kept.max() == acts.max()


def test_no_activation_above_threshold_is_no_answer():
    silent = np.full((500, 2), 0.01, dtype=np.float32)
    assert reference_meter(silent, (3, 4)) is None
    assert madmom_meter(silent, (3, 4)) is None


def test_answers_keep_failed_rows_nan():
    table = np.full((2, len(config.CANDIDATE_METERS)), np.nan)
    table[0] = np.arange(len(config.CANDIDATE_METERS))
    chosen = reference.answers(table, (3, 4))
    assert chosen[0].tolist() == [1.0, 2.0] and np.isnan(chosen[1]).all()
