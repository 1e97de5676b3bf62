"""The ``medssl segment`` command's library side: zero-shot tumour masks, figures, packaging.

- :func:`medssl.zeroshot.segment.segment_files`: run a layer-decomposition model (or
  the z-score baseline) on scans through the inference loop and write masks (and
  layers, figure panels) in each scan's own grid;
- :mod:`medssl.zeroshot.panel`: the axial/coronal/sagittal figure of a decomposition;
- :mod:`medssl.zeroshot.package`: ship a trained ``ld`` model as a self-contained file.

The method, its presets and lesion fill live in :mod:`medssl.methods.ld`; the
predictors in :mod:`medssl.inference`. Nothing heavy is imported here.
"""
