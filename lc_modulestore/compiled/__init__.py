"""
``compiled``: split-format documents compiled from Learning Core history, and how they are stored.

Models (:mod:`.models`: structures, definitions, course index, each tied by
foreign key to what it was compiled from), the codec (:mod:`.codec`: BSON,
compression, checksums) and the ``course_published`` declaration
(:mod:`.signals`). May import ``core`` and ``courses``; the compiler writes
these rows and the shim's MySQL backend reads them.
"""
