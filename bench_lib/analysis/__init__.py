"""Decisions from saved runs: verdicts, findings, scaling efficiency and the noise scale; no TensorFlow."""
