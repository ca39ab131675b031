"""Measurements taken while TensorFlow trains: memory, speed limits, FLOPs, gradient noise, sharpness, the machine."""
