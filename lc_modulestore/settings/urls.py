"""URLs for the standalone project: the operators' admin, and edxval's API (video blocks reverse its URLs)."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("edxval/", include("edxval.urls")),
]
