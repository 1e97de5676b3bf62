"""Zero-shot tumour segmentation by layer decomposition, a threshold baseline, figures."""
