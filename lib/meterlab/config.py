"""The one place for the project's constants: meter classes, sample rates and paths.

Paths are resolved from this file's location (or ``METERLAB_DATA``), never from the
working directory, so a script started from anywhere finds the same cache.
"""
import os
from pathlib import Path

#: Every meter (beats per bar) a signal scores. Arbiters train on the subset present.
CANDIDATE_METERS = (2, 3, 4, 5, 6, 7, 9, 11, 12)
#: METER2800's classes, and the embedded corpus's default classes.
DEFAULT_CLASSES = (3, 4, 5, 7)
#: METER2800's test split (700 files) by class: the class shares of ``--prior meter2800``.
#: Meter2800 (Abimbola, Kostrzewa and Kasprowski; dataset card at
#: huggingface.co/datasets/pianistprogrammer/meter2800) has 2,800 files in four classes;
#: 3 and 4 dominate and 5 and 7 are about 7% each of the test split (700 files). These
#: counts give exactly that (50/700 = 7.1%); they are not checked here against the
#: published tables (no copy on this machine): a user with the tables can give the exact
#: shares as ``--prior 3:N3,4:N4,5:N5,7:N7``.
METER2800_TEST_COUNTS = {3: 300, 4: 300, 5: 50, 7: 50}
#: Meters that are rare in real music; ``--boost-rare`` up-weights them.
RARE_METERS = (5, 7, 9, 11)

#: Rate for librosa-based analysis and for the embedded corpus.
SAMPLE_RATE = 22050
#: Rate madmom's and BeatNet's networks were trained at.
MADMOM_SAMPLE_RATE = 44100
#: Shorter audio cannot hold two bars of 7 at a moderate tempo.
MIN_DURATION_S = 3.0

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("METERLAB_DATA", REPO_ROOT / "data")).resolve()
CORPUS_DIR = DATA_DIR / "corpus"
#: The embedded real-score dataset (human-composed works, rendered): ``make data`` builds it.
SCORES_DIR = DATA_DIR / "scores"
CACHE_DIR = DATA_DIR / "cache"
ARBITER_DATASET_DIR = DATA_DIR / "arbiter_dataset"
ARBITER_GRID_DIR = DATA_DIR / "arbiter_grid"
ARBITER_CHECKPOINT = DATA_DIR / "meter_arbiter.pt"
ONSET_MLP_CHECKPOINT = DATA_DIR / "onset_mlp.pt"
RUNS_DIR = DATA_DIR / "runs"
