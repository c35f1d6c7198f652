"""support.measure and support.figures."""
import json

import pytest
import torch
from torch import nn

from support import figures, measure, models


def test_parameters_and_nonzero():
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2, bias=False))
    assert measure.count_parameters(model) == 55 + 10
    with torch.no_grad():
        model[0].weight[:2] = 0
    assert measure.count_nonzero(model) == 65 - 20
    model[0].requires_grad_(False)
    assert measure.count_parameters(model) == 65, "frozen parameters are parameters too"


def test_file_bytes_is_the_real_file_and_grows_with_parameters():
    small, large = nn.Linear(10, 10), nn.Linear(100, 100)
    assert 4 * 110 < measure.file_bytes(small) < 4 * 110 + 2000
    assert 4 * 10100 < measure.file_bytes(large) < 4 * 10100 + 2000


def test_bytes_at_bits():
    assert measure.bytes_at_bits(1000, 32) == 4000
    assert measure.bytes_at_bits(3, 3) == 2
    assert measure.bytes_at_bits(0, 1) == 0
    for bad in [(-1, 8), (10, 0), (10, 2.5), (10, 8.0), (True, 8), (10, True), (10.0, 8)]:
        with pytest.raises(ValueError):
            measure.bytes_at_bits(*bad)


def test_macs_of_known_layers():
    linear = nn.Linear(784, 300)
    assert measure.macs(linear, torch.zeros(1, 784)) == 784 * 300
    assert measure.macs(linear, torch.zeros(4, 784)) == 4 * 784 * 300
    conv = nn.Conv2d(3, 16, 3, padding=1)
    assert measure.macs(conv, torch.zeros(1, 3, 8, 8)) == 16 * 8 * 8 * 3 * 9
    depthwise = nn.Conv2d(16, 16, 3, padding=1, groups=16)
    assert measure.macs(depthwise, torch.zeros(1, 16, 8, 8)) == 16 * 8 * 8 * 9


def test_latency_is_positive_and_grows_with_work():
    small, large = nn.Linear(16, 16), nn.Linear(1024, 1024)
    x_small, x_large = torch.zeros(64, 16), torch.zeros(64, 1024)
    t_small = measure.latency(small, x_small, min_run_time=0.05)
    t_large = measure.latency(large, x_large, min_run_time=0.05)
    assert 0 < t_small < t_large


def test_latency_with_a_thread_cpu_clock():
    import time

    t = measure.latency(nn.Linear(256, 256), torch.zeros(64, 256), min_run_time=0.05,
                        clock=time.thread_time)
    assert 0 < t < 1


def test_summary_and_table():
    model = models.mlp(hidden=(8,))
    row = measure.summary(model, torch.zeros(2, 1, 8, 8), accuracy=0.5, name="tiny",
                          min_run_time=0.02)
    assert row["model"] == "tiny" and row["accuracy"] == 0.5
    assert row["parameters"] == row["nonzero"] == 64 * 8 + 8 + 8 * 10 + 10
    assert row["macs"] == 64 * 8 + 8 * 10, "MACs are per example"
    assert row["file_bytes"] > 4 * row["parameters"] and row["latency_ms"] > 0
    table = measure.format_table([row, dict(row, model="again")])
    assert table.splitlines()[0].split()[:2] == ["model", "accuracy"]
    assert len(table.splitlines()) == 4


@pytest.mark.parametrize("call", [
    lambda: measure.count_parameters("model"),
    lambda: measure.macs(nn.Linear(2, 2), [1.0, 2.0]),
    lambda: measure.macs(nn.Linear(2, 2), torch.zeros(2)),
    lambda: measure.latency(nn.Linear(2, 2), torch.zeros(1, 2), min_run_time=0),
    lambda: measure.latency(nn.Linear(2, 2), torch.zeros(1, 2), num_threads=0),
    lambda: measure.format_table([]),
])
def test_bad_measure_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_record_merges_and_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPRESSION_FIGURES", str(tmp_path))
    figures.record("chapter-x", accuracy=torch.tensor(0.5), rows=[{"a": 1}])
    held = figures.record("chapter-x", speedup=2.0)
    assert held == {"accuracy": 0.5, "rows": [{"a": 1}], "speedup": 2.0}
    assert json.loads((tmp_path / "chapter-x.json").read_text()) == held
    assert figures.read("chapter-x") == held and figures.read("nothing") == {}


@pytest.mark.parametrize("chapter, values", [
    ("../escape", {"a": 1}), ("", {"a": 1}), ("ok", {}), ("ok", {"a": float("nan")}),
    ("ok", {"a": object()}),
])
def test_record_rejects_bad_input(tmp_path, monkeypatch, chapter, values):
    monkeypatch.setenv("COMPRESSION_FIGURES", str(tmp_path))
    with pytest.raises(ValueError):
        figures.record(chapter, **values)


def test_speedup_of_a_model_against_itself_is_about_one():
    model = nn.Linear(256, 256)
    seconds, ratio = measure.speedup(model, model, torch.randn(64, 256), rounds=3, min_run_time=0.01)
    assert seconds > 0 and 0.5 < ratio < 2
    with pytest.raises(ValueError):
        measure.speedup(model, model, torch.randn(64, 256), rounds=0)


def test_one_at_a_time_answers_each_example_alone():
    model = models.mlp(hidden=(8,), seed=0)
    x = torch.rand(5, 1, 8, 8)
    one = measure.OneAtATime(model)
    assert torch.allclose(one(x), model(x), atol=1e-6)
    calls = []
    model.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    one(x)
    assert calls == [1] * 5
    assert measure.latency(one, x, min_run_time=0.01) > 0
    with pytest.raises(ValueError, match="nn.Module"):
        measure.OneAtATime(lambda x: x)


def test_in_batches_answers_consecutive_batches():
    model = models.mlp(hidden=(8,), seed=0)
    x = torch.rand(7, 1, 8, 8)
    calls = []
    model.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    assert torch.allclose(measure.InBatches(model, 3)(x), model(x), atol=1e-6)
    assert calls == [3, 3, 1, 7]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            measure.InBatches(model, bad)
