"""Write the README's results section from the latest test-split run of each dataset (never
by hand): the embedded corpus (or the dataset the chain ran on) and the real-score dataset,
each with the arbiter under its prior and under uniform, madmom's own tracker and every
signal alone, accuracy per source, the confusion matrix, and the calibration of the
arbiter's confidence with its reliability diagram.

    python scripts/report_results.py [--datasets corpus scores]
"""
import re
import shutil
import sys
from pathlib import Path

from meterlab import cli, config
from meterlab.evaluate import report, runs
from meterlab.engine.atomic import atomic_open

BEGIN = "<!-- results:begin (written by `make results`) -->"
END = "<!-- results:end -->"
DEFAULT_DATASETS = ("corpus", "scores")


def dataset_section(dataset, readme):
    """Markdown for ``dataset``'s latest test run (its figures copied to docs/ beside the
    README); ``None`` when there is none."""
    path, run = runs.latest_run(dataset)
    if run is None:
        return None
    figures = {}
    for kind in ("confusion", "reliability"):
        saved = runs.figure_path(path, kind)
        if saved.is_file():
            figure = readme.parent / "docs" / f"{kind}-{dataset}.png"
            figure.parent.mkdir(exist_ok=True)
            shutil.copyfile(saved, figure)
            figures[kind] = figure.relative_to(readme.parent).as_posix()
    return report.markdown(run, path, figures.get("confusion"), figures.get("reliability"))


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS),
                        help=f"datasets to report, in order (default: {' '.join(DEFAULT_DATASETS)})")
    parser.add_argument("--readme", type=Path, default=config.REPO_ROOT / "README.md",
                        help="the README to update (default: the repository's)")
    args = parser.parse_args(argv)
    readme = args.readme.resolve()
    sections = {dataset: dataset_section(dataset, readme) for dataset in args.datasets}
    if not any(sections.values()):
        sys.exit(f"error: no test-split run in {config.RUNS_DIR} (run `make eval`)")
    section = "\n\n".join([BEGIN] + [
        sections[dataset] or f"**{dataset}**: no test-split run yet (`make data` builds it, "
                             "then `make eval`)." for dataset in args.datasets] + [END])
    text = readme.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else \
        text.rstrip() + "\n\n" + section + "\n"
    with atomic_open(readme, "w") as stream:
        stream.write(text)
    print(f"README results updated ({', '.join(args.datasets)})")


if __name__ == "__main__":
    sys.exit(main())
