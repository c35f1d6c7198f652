"""The shared package of the Network Compression course.

- :mod:`support.data`: data sets with fixed splits (digits and MNIST-1D offline, torchvision online)
- :mod:`support.models`: the small models the chapters share
- :mod:`support.train`: ``fit`` and ``evaluate``
- :mod:`support.measure`: parameters, bytes, MACs, latency
- :mod:`support.figures`: a chapter's headline figures, recorded as JSON
"""
from . import data, figures, measure, models, train

__all__ = ["data", "figures", "measure", "models", "train"]
