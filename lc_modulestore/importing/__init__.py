"""
``importing``: courses into Learning Core, from OLX exports (:mod:`.olx`), split in MongoDB (:mod:`.mongo`)
or a generator (:mod:`.synthetic`).

A peer of the compiler: each importer only translates its source into block
and asset data and hands it to ``CourseWriter`` (``lc_modulestore.api``), the
single writer. It may import the app's lower layers; nothing below imports it,
and it never imports the compiler, the shim or ``rollout``. :mod:`.api` is its face.
"""
