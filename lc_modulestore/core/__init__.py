"""
``core``: the vocabulary every stage shares, and nothing else.

Keys (:mod:`.keys`), errors (:mod:`.errors`), branch names and detached block
types (:mod:`.branches`), Extended JSON (:mod:`.extended_json`) and the XBlock
class catalogue (:mod:`.blocks`: which class serves each block type, used alike
by the importers to realize fields and by the read-only store to build blocks).

It is the bottom layer: it imports nothing from the project. :mod:`.api` is the
ORM-free face that even the compiler's pure transforms may import.
"""
