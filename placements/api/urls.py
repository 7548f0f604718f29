"""Routes for the placements API (mounted at /api/placements/ by senportal/urls.py).

URL names: ``placement-provider-list``/``-detail``/``-upsert``, ``placement-contract-list``/
``-detail`` and ``placement-contract-<action>`` for each action, ``placement-cost-line-update``,
``placement-negotiation-round-correct``, ``placement-deduction-confirm``/``-waive``,
``placement-attendance-return-import``, ``placement-purchasing-power``, ``placement-figures`` and
``placement-queue-list``/``-detail`` (the finance work queues).
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from placements.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("providers", views.ProviderViewSet, basename="placement-provider")
router.register("contracts", views.ContractViewSet, basename="placement-contract")
router.register("cost-lines", views.CostLineViewSet, basename="placement-cost-line")
router.register("negotiation-rounds", views.NegotiationRoundViewSet, basename="placement-negotiation-round")
router.register("deductions", views.DeductionViewSet, basename="placement-deduction")
router.register("attendance-returns", views.AttendanceReturnViewSet, basename="placement-attendance-return")
router.register("reviews", views.PlacementReviewViewSet, basename="placement-review")
router.register("fee-reviews", views.FeeReviewViewSet, basename="placement-fee-review")

urlpatterns = [
    path("purchasing-power/", views.PurchasingPowerView.as_view(), name="placement-purchasing-power"),
    path("figures/", views.FiguresView.as_view(), name="placement-figures"),
    path("queues/", views.QueueCountsView.as_view(), name="placement-queue-list"),
    path("queues/<slug:queue>/", views.QueueDetailView.as_view(), name="placement-queue-detail"),
    path(
        "purchasing-power/years/",
        views.PurchasingPowerYearsView.as_view(),
        name="placement-purchasing-power-years",
    ),
    *router.urls,
]
