"""Defaults applied when lc-modulestore runs as an edx-platform plugin."""


def plugin_settings(settings) -> None:
    """Give every LC_MODULESTORE_* setting a safe default unless the deployment set it."""
    settings.__dict__.setdefault("LC_MODULESTORE_KEEP_OLD_STRUCTURES", 1)
    settings.__dict__.setdefault("LC_MODULESTORE_DRAFT_COMPILE_DEBOUNCE", 5)
    settings.__dict__.setdefault("LC_MODULESTORE_FS_ROOT", "/edx/var/edxapp/lc_modulestore")
    settings.__dict__.setdefault("LC_MODULESTORE_MONGO_URI", "mongodb://127.0.0.1:27017")
    settings.__dict__.setdefault("LC_MODULESTORE_MONGO_DB", "edxapp")
    settings.__dict__.setdefault("LC_MODULESTORE_MONGO_COLLECTION", "modulestore")
