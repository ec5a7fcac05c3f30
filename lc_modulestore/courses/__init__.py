"""
``courses``: the course as Learning Core holds it, and ``CourseWriter``, the single writer.

Models (:mod:`.models`: root container, generic container, course record,
usage-key map, realized field data, assets) and authoring (:mod:`.authoring`:
create, write, publish). May import ``core`` and ``openedx_content``'s api; the
importers write through it, the compiler reads its models.
"""
