import pytest

from bench_lib.plot_scaling import plot_steps_to_target


def rows():
    out = []
    for batch, steps in ((16, 128), (64, 40), (256, None)):
        spec = {"global_batch_size": batch, "target_accuracy": 0.85, "lr_scaling": "linear", "seed": 0}
        out.append({"status": "ok", "spec": spec, "steps_to_target": steps})
    return out


def test_the_plot_is_written_once_and_never_over_a_saved_file(tmp_path):
    path = tmp_path / "steps.png"
    assert plot_steps_to_target(rows(), path) == path
    assert path.read_bytes().startswith(b"\x89PNG")
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        plot_steps_to_target(rows(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["steps.png"], "no temporary file is left behind"


def test_nothing_to_plot_without_a_reached_target(tmp_path):
    nothing = [r | {"steps_to_target": None} for r in rows()]
    assert plot_steps_to_target(nothing, tmp_path / "x.png") is None
    assert not (tmp_path / "x.png").exists()
