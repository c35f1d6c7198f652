"""support.sparse: CSR weights and sparse Linear layers."""
import warnings

import pytest
import torch
from torch import nn

from support import measure, models, prune, sparse


def test_to_csr_is_compact_and_exact():
    w = torch.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the beta warning is silenced, nothing else is raised
        csr = sparse.to_csr(w)
    assert csr.layout == torch.sparse_csr
    assert csr.values().tolist() == [2.0, 1.0, 3.0]
    assert csr.col_indices().tolist() == [1, 0, 2]
    assert csr.crow_indices().tolist() == [0, 1, 3]
    assert csr.col_indices().dtype == torch.int32
    assert csr.col_indices().untyped_storage().nbytes() == 3 * 4
    assert torch.equal(csr.to_dense(), w)
    with pytest.raises(ValueError, match="2-D"):
        sparse.to_csr(torch.ones(2, 2, 2))


def test_sparse_linear_computes_the_masked_layer():
    layer = nn.Linear(30, 20)
    prune.apply_masks(layer, {"weight": prune.magnitude_mask(layer.weight, 0.9)})
    x = torch.randn(7, 30)
    fast = sparse.SparseLinear(layer)
    assert torch.allclose(fast(x), layer(x), atol=1e-6)
    assert "nonzero=60" in repr(fast)
    no_bias = nn.Linear(30, 20, bias=False)
    assert torch.allclose(sparse.SparseLinear(no_bias)(x), no_bias(x), atol=1e-6)
    with pytest.raises(ValueError, match="nn.Linear"):
        sparse.SparseLinear(nn.Conv1d(1, 1, 1))


def test_sparsify_replaces_every_linear_and_shrinks_the_file():
    model = models.mlp(hidden=(64, 32), seed=0)
    masks = prune.global_magnitude_masks(prune.prunable(model), 0.95)
    prune.apply_masks(model, masks)
    fast = sparse.sparsify(model)
    assert not any(isinstance(m, nn.Linear) for m in fast.modules())
    assert isinstance(model[1], nn.Linear), "the original is left alone"
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(fast(x), model(x), atol=1e-5)
    assert measure.count_parameters(fast) == 64 + 32 + 10, "only the dense biases are parameters"
    assert measure.file_bytes(fast) < measure.file_bytes(model) / 3
