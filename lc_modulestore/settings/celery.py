"""The standalone project's Celery app (edx-platform brings its own and autodiscovers our tasks)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lc_modulestore.settings")

app = Celery("lc_modulestore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
