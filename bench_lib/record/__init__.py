"""Results as data: the saved result, its learning curve, seeds combined, history, statistics, files."""
