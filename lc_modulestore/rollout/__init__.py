"""
``rollout``: the operator's tools for moving a course from MongoDB to Learning Core and back.

Course flags and their audit rows (:mod:`.flags`, :mod:`.models`), the verify
gate (:mod:`.verify`), shadow reads (:mod:`.shadow`), the Mongo twin export
(:mod:`.mongo_export`) and the router wired to the flags (:mod:`.router`).

It sits above the compiler and the shim and may import both (through their
``api`` modules) and the app's lower layers (``lc_modulestore.api``); nothing
below imports it. :mod:`.api` is its face for commands, admin and tests.
"""
