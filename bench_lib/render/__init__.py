"""Renders saved figures as tables, plots, an HTML page and exports; computes no statistic and imports no TensorFlow."""
