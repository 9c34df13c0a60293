"""The arbiter's input: every signal's scores for a list of files, aligned, with the signal
versions they were made with (so a checkpoint trained on them can name them, and eval can
refuse scores made by other signal code)."""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..engine.atomic import atomic_open


@dataclass
class ScoreTable:
    """Signal scores of a list of files, aligned: file i, signal j, meter k."""

    signals: tuple
    versions: dict
    paths: list
    song_ids: list
    meters: np.ndarray          # (files,) labels in beats per bar
    scores: np.ndarray          # (files, signals, len(CANDIDATE_METERS))
    available: np.ndarray       # (files, signals) bool
    #: The dataset each file was read from (:attr:`meterlab.data.datasets.Entry.dataset`).
    datasets: list = None

    def fingerprint(self):
        """Identifies the data: files, labels, datasets, signal versions and the scores."""
        digest = hashlib.sha1(json.dumps([self.song_ids, self.paths, self.meters.tolist(),
                                          sorted(self.versions.items()),
                                          self.datasets]).encode())
        digest.update(np.ascontiguousarray(self.scores).tobytes())
        digest.update(np.ascontiguousarray(self.available).tobytes())
        return digest.hexdigest()[:16]

    def coverage(self):
        return dict(zip(self.signals, self.available.mean(axis=0).tolist()))

    def save(self, path):
        """One ``.npz`` holding the arrays and, as JSON, the versions and files.

        One file written atomically: a killed extraction leaves the old table or the new
        one, never new scores beside old metadata.
        """
        meta = {"signals": list(self.signals), "versions": self.versions, "paths": self.paths,
                "song_ids": self.song_ids, "datasets": self.datasets,
                "coverage": self.coverage(),
                "fingerprint": self.fingerprint(),
                "candidate_meters": config.CANDIDATE_METERS}
        with atomic_open(path) as stream:
            np.savez(stream, scores=self.scores, available=self.available, meters=self.meters,
                     meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path):
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: arbiter dataset not found (run `make extract`)")
        with np.load(path) as arrays:
            meta = json.loads(str(arrays["meta"]))
            return cls(tuple(meta["signals"]), meta["versions"], meta["paths"],
                       meta["song_ids"], arrays["meters"], arrays["scores"],
                       arrays["available"], meta.get("datasets"))


def select_signals(table, names):
    """The table restricted to ``names`` (in that order)."""
    index = [table.signals.index(name) for name in names]
    return ScoreTable(tuple(names), {name: table.versions[name] for name in names},
                      table.paths, table.song_ids, table.meters,
                      table.scores[:, index], table.available[:, index], table.datasets)
