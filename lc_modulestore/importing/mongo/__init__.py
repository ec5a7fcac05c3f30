"""
Migration of split courses from MongoDB into Learning Core (``api.migrate_course_from_mongo``).

* ``reader``: reads and checks one course's index, branch heads and definitions;
* ``olx``: writes a leaf's ``block.xml`` from its field values;
* ``api``: the migration itself, in one transaction, through :class:`~lc_modulestore.courses.authoring.CourseWriter`.
"""
