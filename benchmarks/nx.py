"""
The nx-27017 stand-in for the read benchmark when no ``--mongo-uri`` is given.

nx-27017 is a pure-Python MongoDB wire-protocol server over SQLite: a stand-in
for MongoDB, not MongoDB. Figures measured against it are labelled so; they
show the driver and BSON path but not MongoDB's server-side speed. The server
itself is started by the same code ``lc_demo`` uses
(:func:`lc_modulestore.rollout.api.mongo_stand_in`: free port, own files in a
temp dir, terminated on exit).
"""
from __future__ import annotations

from lc_modulestore.rollout.api import StandInError as NxServerError
from lc_modulestore.rollout.api import mongo_stand_in as nx_server

__all__ = ["NX_LABEL", "NxServerError", "nx_server"]

NX_LABEL = "nx-27017 stand-in (pure-Python wire-protocol server over SQLite, not MongoDB)"
