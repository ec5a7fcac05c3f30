"""Read and compile benchmarks (``manage.py lc_bench``); the public surface is :mod:`benchmarks.api`."""
