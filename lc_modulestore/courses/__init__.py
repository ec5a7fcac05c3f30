"""
``courses``: the course as Learning Core holds it, and ``CourseWriter``, the single writer.

Models (:mod:`.models`: root container, generic container, course record,
usage-key map, realized field data, assets), the plain data importers hand in
(:mod:`.data`: ``BlockData``, ``AssetData`` and what a sync did), the course as
a whole (:mod:`.lifecycle`: create, find, publish, would-a-publish-change-anything)
and the writer (:mod:`.authoring`: save, sync and delete blocks and assets; no
importer deletes or compares on its own). May import ``core`` and
``openedx_content``'s api; the importers write through it, the compiler reads its models.
"""
