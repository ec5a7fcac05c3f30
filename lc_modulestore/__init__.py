"""
lc-modulestore: serve Learning Core courses to the LMS through split's read API.

Pipeline: OLX/Mongo → Learning Core → compiler → documents → backend → store → XBlocks.
This package is the one Django app, laid out in rooms by layer (``docs/architecture.md``, ADR 0017):
``core`` < ``courses`` < ``compiled`` < (``api``/``models_api``) < ``importing`` (beside ``compiler`` and
``shim``) < ``rollout`` < ``tasks`` < ``handlers`` < ``admin``/``apps`` < ``management``.
"""
