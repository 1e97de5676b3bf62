"""2.5D context features and k-NN label transfer (Blendowski et al., MICCAI 2019).

- :mod:`.prep`: the fixed CT preprocessing of every context model (RAS, body crop,
  soft-tissue window, 2 mm isotropic).
- :mod:`.descriptors`: dense 192-D descriptors at every 4th voxel, for trained models
  and the ``xavier`` / ``gvdiff`` baselines.
- :mod:`.transfer`: k-NN label transfer with faiss.
- :mod:`.register`: the atlas-registration baseline (itk-elastix).
"""
