"""
The compiler: Learning Core publish logs and draft changes → split-style structure and definition documents.

Reads (:mod:`compiler.snapshot`) → pure transform (:mod:`compiler.transform`, :mod:`compiler.documents`)
→ one write transaction (:mod:`compiler.storage`); :mod:`compiler.api` is its face. It sits beside the shim
and the importers and imports neither; it reads the app's lower rooms only through ``lc_modulestore.api``
and ``lc_modulestore.models_api`` (its transforms only through the ORM-free ``lc_modulestore.core.api``).
Commands, tasks and ``rollout`` call it.
"""
