"""What the lc_* management commands share."""
from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand


class LcCommand(BaseCommand):
    """A command whose ``help`` is laid out by hand (examples, tables): ``--help`` keeps its line breaks."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser
