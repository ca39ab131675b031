"""The builders of the models declared in bench_lib/config/models.py, one module per family."""
