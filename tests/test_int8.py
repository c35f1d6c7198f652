"""support.int8: the int8 engines agree with the float model they were made from."""
import pytest
import torch

from support import int8, models


@pytest.fixture(scope="module")
def mlp():
    return models.mlp(seed=0).eval()


def test_torch_and_torchao_dynamic_int8_stay_close_to_float(mlp):
    x = torch.rand(32, 1, 8, 8)
    want = mlp(x)
    for engine in (int8.torch_dynamic(mlp), int8.torchao_dynamic(mlp)):
        got = engine(x)
        assert got.shape == want.shape
        assert (got - want).abs().max() < 0.05 * want.abs().max()
        assert int8.saved_bytes(engine) < int8.saved_bytes(mlp) / 3


def test_onnx_runtime_float_is_exact_and_int8_is_close(mlp, tmp_path):
    x = torch.rand(5, 1, 8, 8)
    fp32, int8_model = int8.onnx_runtime(mlp, x, tmp_path)
    assert torch.allclose(fp32(x), mlp(x), atol=1e-5)
    assert (int8_model(x) - mlp(x)).abs().max() < 0.05 * mlp(x).abs().max()
    assert fp32(torch.rand(17, 1, 8, 8)).shape == (17, 10)                 # any batch size
    assert int8.saved_bytes(int8_model) < int8.saved_bytes(fp32) / 3


def test_models_without_linear_layers_are_refused():
    with pytest.raises(ValueError, match="Linear"):
        int8.torch_dynamic(torch.nn.Sequential(torch.nn.ReLU()))
    with pytest.raises(ValueError):
        int8.OnnxModel("missing.onnx", num_threads=0)
