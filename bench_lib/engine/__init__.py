"""The TensorFlow side that trains: strategy, data, models, the training step and loop, and the runner."""
