"""
A MongoDB twin of a Learning Core course: its compiled documents written into split's own collections
(``api.export_course_to_mongo``), so routing, verify and benchmarks have a Mongo copy of any course.
"""
