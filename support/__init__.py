"""The shared package of the Network Compression course.

- :mod:`support.data`: data sets with fixed splits (digits and MNIST-1D offline, torchvision online)
- :mod:`support.models`: the small models the chapters share, and a depthwise separable block
- :mod:`support.train`: ``fit``, ``evaluate`` and ``predict``
- :mod:`support.cache`: ``fit`` done once: trained weights kept on disk, keyed by all they depend on
- :mod:`support.measure`: parameters, bytes, MACs, latency, back-to-back speedups
- :mod:`support.stats`: mean ± sample std over seeds, and when a difference is real
- :mod:`support.figures`: a chapter's headline figures, recorded as JSON
- :mod:`support.prune`: masks, importance, physically smaller layers, rewinding
- :mod:`support.sparse`: CSR storage and kernels for weight-pruned Linear layers
- :mod:`support.lottery`: iterative magnitude pruning with rewinding (lottery tickets)
- :mod:`support.distill`: temperature, distillation loss, ensemble soft targets
- :mod:`support.quantize`: affine and fake quantization, straight-through training, k-means weight sharing
- :mod:`support.huffman`: canonical Huffman codes, encode and decode
- :mod:`support.codec`: the Deep Compression file (sparse offsets, codebooks, Huffman), save and load
- :mod:`support.int8`: real int8 inference (torch.ao, torchao, ONNX Runtime)
- :mod:`support.factorize`: low-rank (SVD) Linear pairs, ranks, separable convolution counts
- :mod:`support.early_exit`: early-exit networks, the weighted exit loss, thresholds, exit costs
- :mod:`support.checks`: the shared validators every public function checks its input with
"""
from . import data, figures, measure, models, train

__all__ = ["data", "figures", "measure", "models", "train"]
