"""Inference: sliding-window prediction, zero-shot segmentation, k-NN label transfer."""
