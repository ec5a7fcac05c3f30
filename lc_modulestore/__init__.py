"""
lc-modulestore: serve Learning Core courses to the LMS through split's read API.

Pipeline: OLX/Mongo → Learning Core → compiler → documents → backend → store → XBlocks.
This package is the Django app (models, admin, commands, tasks, flags, importers).
"""
