"""Public API of the exporting room: write a course's published or draft state as an OLX export."""
from lc_modulestore.exporting.olx import ExportResult, export_olx

__all__ = ["ExportResult", "export_olx"]
