"""What to run: the validated RunSpec and the cluster (TF_CONFIG); no TensorFlow."""
