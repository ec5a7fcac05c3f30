"""App configuration; also the entry point edx-platform's plugin loader picks up."""
from django.apps import AppConfig


class LcModulestoreConfig(AppConfig):
    """
    lc-modulestore as a Django app.

    ``plugin_app`` is read by edx-django-utils' plugin loader (entry points
    ``lms.djangoapp`` / ``cms.djangoapp`` in pyproject.toml), so installing the
    package into edx-platform adds the app without editing its settings.
    """

    name = "lc_modulestore"
    label = "lc_modulestore"
    verbose_name = "Learning Core ModuleStore"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        "settings_config": {
            "lms.djangoapp": {"common": {"relative_path": "plugin_settings"}},
            "cms.djangoapp": {"common": {"relative_path": "plugin_settings"}},
        },
    }

    def ready(self) -> None:
        # Local imports: models and signal receivers need the app registry.
        from openedx_content.api import register_publishable_models

        from .models import BlockContainer, BlockContainerVersion, CourseRoot, CourseRootVersion

        register_publishable_models(CourseRoot, CourseRootVersion)
        register_publishable_models(BlockContainer, BlockContainerVersion)
        from django.conf import settings

        from . import flags, signals  # noqa: F401  (connects receivers)

        if getattr(settings, "LC_MODULESTORE_STANDALONE_CELERY", False):
            # Standalone project only: make our Celery app (eager unless a broker is set) the current one.
            # Inside edx-platform its own app is current and autodiscovers lc_modulestore.tasks.
            from . import celery  # noqa: F401

        # Celery tasks are not requests: start each with fresh course flag answers, as a request would.
        from celery.signals import task_prerun

        task_prerun.connect(
            lambda **kwargs: flags.clear_flag_cache(), weak=False, dispatch_uid="lc_modulestore.clear_flag_cache"
        )
