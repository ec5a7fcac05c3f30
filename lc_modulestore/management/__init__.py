"""
Management commands: the top layer. Each parses its arguments and calls one api
(``lc_modulestore.importing.api``, ``lc_modulestore.rollout.api``, ``compiler.api``, ``shim.api``);
errors reach the operator as ``CommandError`` naming what is at fault.
"""
