"""
edx-platform's own stores, from the shared snapshot, over one of the project's persistence backends.

:func:`edx_split_store` builds ``DraftVersioningModuleStore`` exactly as ``create_modulestore_instance``
would (XBLOCK_MIXINS, a branch setting function, the request cache), then hands it the backend as its
``db_connection``: the only layer that changes. Block classes are the project's catalogue
(``lc_modulestore.core.blocks``), chosen through split's own ``xblock_select`` hook, so both stores build
every block from the same class; the mixins are edx-platform's (``InheritanceMixin``, ``XModuleMixin``).
"""
from __future__ import annotations

import importlib

from tests.edx_platform import support

AVAILABLE = support.install()


class _EntryPoint:
    """What ``XBlock.load_class``'s ``select`` returns: something with ``load()``."""

    def __init__(self, name, cls):
        self.name = name
        self._cls = cls

    def load(self):
        return self._cls


def project_select(identifier, all_entry_points):
    """split's ``xblock_select``: the class the project's catalogue serves ``identifier`` with."""
    from xblock.plugin import PluginMissingError

    from lc_modulestore.core import blocks

    cls = blocks._unmixed_class(identifier)
    if cls is None:
        raise PluginMissingError(identifier)  # split then builds its default_class, GenericBlock
    return _EntryPoint(identifier, cls)


def register_detached_classes() -> None:
    """
    Declare the project's about/course_info/static_tab classes as ``xblock.v1`` plugins, as edx-platform's
    ``setup.py`` declares its own: split finds detached types with ``XBlock.load_tagged_classes('detached')``,
    which reads plugins only. Whether each is *tagged* is the project's (``lc_modulestore.core.blocks``).
    """
    from xblock.core import XBlock

    from lc_modulestore.core import blocks

    registered = {name for name, _ in XBlock.extra_entry_points}
    for name in ("about", "course_info", "static_tab"):
        if name not in registered:
            XBlock.extra_entry_points.append((name, _EntryPoint(name, blocks._unmixed_class(name))))


def edx_mixins() -> tuple:
    """
    edx-platform's ``InheritanceMixin`` and ``XModuleMixin``, then the project's ``OpenEdxBlockMixin``: the
    light structural classes of the catalogue leave to it the fields edx-platform's own classes declare
    (``format`` on a sequential, …), so without it a class here would lack fields the LMS reads.
    """
    from lc_modulestore.core.blocks import OpenEdxBlockMixin

    inheritance = importlib.import_module("xmodule.modulestore.inheritance")
    x_module = importlib.import_module("xmodule.x_module")
    return (inheritance.InheritanceMixin, x_module.XModuleMixin, OpenEdxBlockMixin)


def edx_split_store(backend, *, fs_root, branch="published-only", signal_handler=None, cls=None, **options):
    """``DraftVersioningModuleStore`` (or ``cls``) over ``backend``, configured as edx-platform configures it."""
    from edx_django_utils.cache import RequestCache
    from xmodule.modulestore.split_mongo.split_draft import DraftVersioningModuleStore

    cls = cls or DraftVersioningModuleStore
    store = cls(
        contentstore=None,
        doc_store_config={"db": "edxapp", "collection": "modulestore", "host": "localhost"},
        fs_root=str(fs_root),
        default_class="lc_modulestore.core.blocks.GenericBlock",
        render_template=lambda *args, **kwargs: "",
        xblock_mixins=edx_mixins(),
        xblock_select=project_select,
        branch_setting_func=lambda: branch,
        request_cache=RequestCache("edx_platform.request_cache"),
        signal_handler=signal_handler,
        **options,
    )
    if backend is not None:
        store.db_connection = backend
    return store


if AVAILABLE:
    register_detached_classes()

__all__ = ["AVAILABLE", "register_detached_classes", "edx_mixins", "edx_split_store", "project_select"]
