"""Document API routes, included at /api/documents/ by the roof."""

from rest_framework.routers import SimpleRouter

from core.document_api import DocumentViewSet

router = SimpleRouter()
router.register("", DocumentViewSet, basename="document")

urlpatterns = router.urls
