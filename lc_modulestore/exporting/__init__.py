"""
The way back out of Learning Core: a Studio-style OLX export of a course (``lc_export_olx``).

A sibling of the compiler, the shim and the importers: it reads the app's lower
rooms only through :mod:`lc_modulestore.api` and :mod:`lc_modulestore.models_api`
(plus Learning Core's own public API), and nothing above it imports it except
the management commands. Face: :mod:`lc_modulestore.exporting.api`.
"""
