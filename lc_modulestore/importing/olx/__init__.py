"""OLX import into Learning Core: ``reader`` (files → tree), ``fields`` (tree → BlockData), ``importer`` (→ DB)."""
