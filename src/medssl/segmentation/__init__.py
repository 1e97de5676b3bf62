"""Supervised segmentation on top of pretrained encoders: fine-tuning and prediction."""
