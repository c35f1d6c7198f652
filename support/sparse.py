"""Sparse kernels for weight-pruned Linear layers: the weight is stored in CSR form
(compressed sparse rows: the non-zero values, their column indices, and where each row
starts) and multiplied with ``torch.sparse``, so that pruned weights cost neither memory
nor arithmetic. A masked dense layer, by contrast, still stores and multiplies its zeros.

CSR support in PyTorch is marked beta; this module silences that one warning.
"""
from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from . import checks

__all__ = ["to_csr", "SparseLinear", "sparsify"]


def to_csr(weight: torch.Tensor) -> torch.Tensor:
    """A compact CSR copy of a 2-D ``weight`` (out, in) with int32 indices: 4 bytes per
    non-zero value, 4 per column index, and 4 per row (plus one). Raises ValueError for a
    weight that is not 2-D.

    >>> csr = to_csr(torch.tensor([[0.0, 2.0], [3.0, 0.0]]))
    >>> csr.values(), csr.col_indices(), csr.crow_indices()
    (tensor([2., 3.]), tensor([1, 0], dtype=torch.int32), tensor([0, 1, 2], dtype=torch.int32))
    """
    checks.tensor("weight (out, in)", weight, ndim=2)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        csr = weight.detach().to_sparse_csr()
        # clone: to_sparse_csr's index views can hold a larger storage, which torch.save writes
        return torch.sparse_csr_tensor(csr.crow_indices().to(torch.int32).clone(),
                                       csr.col_indices().to(torch.int32).clone(),
                                       csr.values().clone(), csr.shape, check_invariants=True)


class SparseLinear(nn.Module):
    """An inference-only copy of an ``nn.Linear`` whose weight (out, in) is a CSR buffer:
    x (B, in) -> x W^T + b (B, out), computed by ``torch.addmm`` with the sparse weight.
    Raises ValueError for a module that is not an ``nn.Linear``.

    >>> layer = nn.Linear(4, 3)
    >>> with torch.no_grad():
    ...     layer.weight[:, :2] = 0
    >>> x = torch.randn(5, 4)
    >>> SparseLinear(layer), torch.allclose(SparseLinear(layer)(x), layer(x), atol=1e-6)
    (SparseLinear(in_features=4, out_features=3, nonzero=6), True)
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        checks.module("linear", linear, nn.Linear)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight", to_csr(linear.weight))
        bias = torch.zeros(self.out_features) if linear.bias is None else linear.bias.detach()
        # a dense parameter (out,), so that the module still has parameters (and a device)
        self.bias = nn.Parameter(bias.clone(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias.unsqueeze(1), self.weight, x.t()).t()

    def extra_repr(self) -> str:
        nonzero = self.weight.values().numel()
        return f"in_features={self.in_features}, out_features={self.out_features}, nonzero={nonzero}"


def sparsify(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in which every ``nn.Linear`` is a :class:`SparseLinear`.

    >>> sparsify(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    Sequential(
      (0): SparseLinear(in_features=2, out_features=2, nonzero=4)
      (1): ReLU()
    )
    """
    model = copy.deepcopy(checks.module("model", model))
    if isinstance(model, nn.Linear):
        return SparseLinear(model)
    for name, child in model.named_children():
        setattr(model, name, sparsify(child))
    return model
