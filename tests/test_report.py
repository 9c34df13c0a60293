"""eval reports each dataset apart (the corpus and the real-score dataset), with madmom's
reference and each signal beside the arbiter, and `make results` writes both."""
import os
import subprocess

import soundfile as sf

from meterlab.engine import registry
from tests.conftest import REPO, click_track, install_signal, load_script


def write_dataset(root, rows):
    """A manifest in the embedded datasets' layout (``path,meter,split,song,source``)
    over click tracks."""
    (root / "audio").mkdir(parents=True)
    lines = ["path,meter,split,song,source"]
    for index, (meter, source) in enumerate(rows):
        name = f"audio/{source}-{index}.flac"
        sf.write(root / name, click_track(6.0 + index, bpm=100 + 9 * index,
                                          beats_per_bar=meter), 22050)
        lines.append(f"{name},{meter},test,{source}-work{index},{source}")
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    return root


def test_eval_reports_each_dataset_and_results_hold_both(tmp_path, monkeypatch, capsys):
    install_signal(tmp_path, monkeypatch, "fake_report")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_report",))
    corpus = write_dataset(tmp_path / "corpus", [(3, "corpus"), (4, "corpus")])
    scores = write_dataset(tmp_path / "scores", [(3, "bach"), (4, "essenFolksong"),
                                                 (4, "essenFolksong")])
    eval_script = load_script("scripts/eval.py")
    printed = {}
    for dataset, root in (("corpus", corpus), ("scores", scores)):
        eval_script.main(["--dataset", dataset, "--data-dir", str(root), "--limit", "0"])
        printed[dataset] = capsys.readouterr().out
    assert "== corpus test split, 2 files, prior meter2800" in printed["corpus"]
    assert "== scores test split, 3 files, prior meter2800" in printed["scores"]
    for dataset, out in printed.items():
        for row in ("arbiter, prior meter2800", "arbiter, prior uniform",
                    "madmom DBN reference, beats_per_bar=[3, 4, 5, 7]", "fake_report alone",
                    "confusion"):
            assert row in out, (dataset, row)
    assert "bach" in printed["scores"] and "essenFolksong" in printed["scores"]
    assert all("ECE (10 bins), T=1" in out for out in printed.values())

    readme = tmp_path / "README.md"
    readme.write_text("# meterlab\n\n## Results\n")
    load_script("scripts/report_results.py").main(["--readme", str(readme)])
    text = readme.read_text()
    assert text.index("**corpus** test split") < text.index("**scores** test split")
    assert "| essenFolksong " in text and "madmom DBN reference" in text
    uniform = next(line for line in text.splitlines() if "arbiter, prior uniform" in line)
    shares = [cell for cell in uniform.split("|") if cell.strip().endswith("%")]
    assert len(shares) == 5     # accuracy, balanced, classes 3 and 4 (no 5 or 7 here), 3 vs 4
    assert (tmp_path / "docs/confusion-scores.png").is_file()
    assert "![confusion matrix, scores](docs/confusion-scores.png)" in text
    assert (tmp_path / "docs/reliability-scores.png").is_file()
    assert "![reliability diagram, scores](docs/reliability-scores.png)" in text
    assert "expected calibration error over 10 equal-width bins" in text


def test_make_eval_without_the_scores_dataset_says_so(tmp_path):
    """The scores part of eval (the Makefile's command, run as make runs it) reports a
    missing dataset in one line and succeeds."""
    env = dict(os.environ, METERLAB_DATA=str(tmp_path / "data"))
    result = subprocess.run(["make", "--no-print-directory", "-n", "eval"], cwd=REPO, env=env,
                            capture_output=True, text=True)
    command = next(line for line in result.stdout.splitlines() if "scores/manifest.csv" in line)
    shown = subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True)
    assert shown.returncode == 0
    assert "scores dataset not built" in shown.stdout and "only the corpus test split" in shown.stdout
