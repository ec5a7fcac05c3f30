"""
The read-only split ModuleStore over Learning Core courses (the last stages of the pipeline).

documents → **backend** → **store** → **XBlocks**:

* :mod:`shim.split_types`: split's in-memory shapes (BlockKey, BlockData, EditInfo, structure conversions);
* :mod:`shim.backends`: where documents are read from (``base``: the protocol; ``mysql``: compiled rows);
* :mod:`shim.caches`: decoded structures by id (LRU + Django cache), indexes per request;
* :mod:`shim.store`: split's read API and draft/published semantics; :mod:`shim.outline` and
  :mod:`shim.matching` hold its structure walks and query language, :mod:`shim.bulk` its
  ``bulk_operations`` scope, :mod:`shim.refusals` its refused writes, :mod:`shim.entries` what a
  course lookup returns;
* :mod:`shim.runtime`: XBlocks from a structure; :mod:`shim.field_data` their field data and
  inheritance; :mod:`shim.services` the LMS services they are offered.

It sits beside the compiler and the importers and imports neither; it reads the app's lower rooms only
through ``lc_modulestore.api`` / ``lc_modulestore.models_api`` and knows no flags (``rollout`` wires its
router to them). :mod:`shim.api` is its face.

Import from :mod:`shim.api`.
"""
