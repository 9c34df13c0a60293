"""A prediction's beats written as .beats, JAMS and PNG, and read back."""
import jams
import numpy as np

from meterlab.beat_files import jams_document, output_stems, plot_answer, write_beats_file, \
    write_jams
from meterlab.data.layout import read_beats

ANSWER = {"path": "/music/song.flac", "predicted": 5, "tempo": 120.0, "grouping": [3, 2],
          "probabilities": {3: 0.1, 4: 0.2, 5: 0.6, 7: 0.1},
          "beats": [[0.5, 4], [1.0, 5], [1.5, 1], [2.0, 2], [2.5, 3], [3.0, 4], [3.5, 5],
                    [4.0, 1]],
          "downbeats": [1.5, 4.0]}


def test_beats_file_reads_back_as_time_and_position(tmp_path):
    path = tmp_path / "song.beats"
    write_beats_file(ANSWER, path)
    times, positions = read_beats(path)
    assert times.tolist() == [t for t, _ in ANSWER["beats"]]
    assert positions.tolist() == [p for _, p in ANSWER["beats"]]
    assert path.read_text().splitlines()[0].split("\t") == ["0.500000", "4"]


def test_no_beats_gives_an_empty_beats_file(tmp_path):
    path = tmp_path / "quiet.beats"
    write_beats_file(dict(ANSWER, beats=[]), path)
    assert path.read_text() == ""


def test_jams_holds_beat_positions_with_bar_numbers(tmp_path):
    path = tmp_path / "song.jams"
    write_jams(ANSWER, 5.0, path)
    annotation = jams.load(str(path)).annotations[0]
    assert annotation.namespace == "beat_position"
    observed = [(o.time, o.value["position"], o.value["measure"], o.value["num_beats"])
                for o in annotation.data]
    assert observed == [(0.5, 4, 0, 5), (1.0, 5, 0, 5), (1.5, 1, 1, 5), (2.0, 2, 1, 5),
                        (2.5, 3, 1, 5), (3.0, 4, 1, 5), (3.5, 5, 1, 5), (4.0, 1, 2, 5)]
    assert annotation.sandbox["grouping"] == [3, 2]
    assert jams_document(ANSWER, 5.0).file_metadata.duration == 5.0


def test_plot_is_a_png(tmp_path):
    path = tmp_path / "song.png"
    activations = np.zeros((500, 2), np.float32)
    activations[150, 1] = activations[100, 0] = 0.9
    plot_answer(ANSWER, activations, 100.0, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_files_of_the_same_name_in_two_folders_get_two_names():
    stems = output_stems(["a/song.wav", "b/song.wav", "b/other.mp3"])
    assert stems[2] == "other" and stems[0] != stems[1]
    assert all(stem.startswith("song-") for stem in stems[:2])
