"""Write the README's results section from the latest test-split run (never by hand).

    python scripts/report_results.py
"""
import re
import shutil
import sys

from meterlab import config, runs

BEGIN = "<!-- results:begin (written by `make results`) -->"
END = "<!-- results:end -->"
FIGURE = config.REPO_ROOT / "docs" / "confusion.png"


def main():
    path, run = runs.latest_run()
    if run is None:
        sys.exit(f"error: no test-split run in {config.RUNS_DIR} (run `make eval`)")
    FIGURE.parent.mkdir(exist_ok=True)
    shutil.copyfile(path.with_name(path.stem + "-confusion.png"), FIGURE)
    section = "\n".join([BEGIN, runs.markdown_summary(run, path), "",
                         f"![confusion matrix]({FIGURE.relative_to(config.REPO_ROOT)})", END])
    readme = config.REPO_ROOT / "README.md"
    text = readme.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else \
        text.rstrip() + "\n\n" + section + "\n"
    readme.write_text(text)
    print(f"README results updated from {path}")


if __name__ == "__main__":
    main()
