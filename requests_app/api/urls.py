"""Routes for the requests API (mounted under /api/ by senportal/urls.py)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)

urlpatterns = router.urls
