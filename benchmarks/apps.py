"""The benchmarks as a Django app of the checkout, so ``manage.py lc_bench`` finds its command."""
from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    name = "benchmarks"
    label = "lc_benchmarks"
    verbose_name = "lc-modulestore benchmarks (development only)"
