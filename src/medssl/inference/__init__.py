"""Inference: one loop (read → preprocess → predict → invert → write) and its predictors.

- :mod:`medssl.inference.loop`: :func:`~medssl.inference.loop.run_inference`, used by
  ``medssl segment``, ``medssl predict`` and the experiment cells;
- :mod:`medssl.inference.outputs`: output names and the never-overwrite-an-input rule;
- :mod:`medssl.inference.predictor`: the :class:`~medssl.inference.predictor.Predictor`
  base class; predictors: :mod:`medssl.inference.ld` (zero-shot layer decomposition),
  :mod:`medssl.inference.zscore` (threshold baseline) and
  :mod:`medssl.segmentation.predict` (fine-tuned networks);
- :mod:`medssl.inference.sliding`: sliding-window prediction with mirroring, bf16;
- :mod:`medssl.inference.device`: ``--device auto|cpu|cuda``.

Nothing heavy is imported here.
"""
