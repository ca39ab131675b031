"""tfbench: measures how batch size, accumulation, batch norm and tf.distribute strategy change training.

Submodules form one pipeline, each importing only those before it:
spec -> strategy -> data -> model -> train -> measure -> result -> runner -> report -> cli.
"""

__version__ = "0.1.0"
