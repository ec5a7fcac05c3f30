"""App configuration; also the entry point edx-platform's plugin loader picks up."""
from django.apps import AppConfig


class LcModulestoreConfig(AppConfig):
    """
    lc-modulestore as a Django app.

    ``plugin_app`` is read by edx-django-utils' plugin loader (entry points
    ``lms.djangoapp`` / ``cms.djangoapp`` in pyproject.toml), so installing the
    package into edx-platform adds the app without editing its settings.

    ``ready()`` is where every receiver is connected (each with a
    ``dispatch_uid``): no module of the app connects anything at import time.
    """

    name = "lc_modulestore"
    label = "lc_modulestore"
    verbose_name = "Learning Core ModuleStore"
    default_auto_field = "django.db.models.BigAutoField"

    # Both settings types edx-platform calls: "common" (defaults, at the end of lms/envs/common.py) and
    # "production" (the site's ENV_TOKENS, at the end of lms/envs/production.py); the same for the CMS.
    plugin_app = {
        "settings_config": {
            project_type: {
                "common": {"relative_path": "settings.common"},
                "production": {"relative_path": "settings.production"},
            }
            for project_type in ("lms.djangoapp", "cms.djangoapp")
        },
    }

    def ready(self) -> None:
        # Imported here, not at module level: models and receivers need the app registry.
        from celery.signals import task_prerun
        from django.conf import settings
        from openedx_content.api import register_publishable_models
        from openedx_content.api import signals as content_signals

        from lc_modulestore import handlers
        from lc_modulestore.courses.signals import course_assets_changed
        from lc_modulestore.models_api import BlockContainer, BlockContainerVersion, CourseRoot, CourseRootVersion

        register_publishable_models(CourseRoot, CourseRootVersion)
        register_publishable_models(BlockContainer, BlockContainerVersion)

        content_signals.ENTITIES_PUBLISHED.connect(
            handlers.on_entities_published, dispatch_uid="lc_modulestore.compile_published"
        )
        content_signals.ENTITIES_DRAFT_CHANGED.connect(
            handlers.on_entities_draft_changed, dispatch_uid="lc_modulestore.compile_drafts"
        )
        course_assets_changed.connect(
            handlers.on_course_assets_changed, dispatch_uid="lc_modulestore.compile_after_asset_change"
        )
        # Celery tasks are not requests: start each with fresh course flag answers, as a request would.
        task_prerun.connect(
            handlers.clear_flags_before_task, weak=False, dispatch_uid="lc_modulestore.clear_flag_cache"
        )

        if getattr(settings, "LC_MODULESTORE_STANDALONE_CELERY", False):
            # Standalone project only: make our Celery app (eager unless a broker is set) the current one.
            # Inside edx-platform its own app is current and autodiscovers lc_modulestore.tasks.
            from lc_modulestore.settings import celery  # noqa: F401
