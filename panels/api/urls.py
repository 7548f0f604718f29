"""Routes for the panel API (mounted under /api/panel/ by senportal/urls.py).

URL names: ``panel-referral-list``/``-detail``/``-update``, ``panel-meeting-list``/``-detail``
and ``panel-meeting-<action>``, ``panel-agenda-item-<action>``, ``panel-figures``.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from panels.api.views import AgendaItemViewSet, FiguresView, MeetingViewSet, ReferralViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("referrals", ReferralViewSet, basename="panel-referral")
router.register("meetings", MeetingViewSet, basename="panel-meeting")
router.register("agenda-items", AgendaItemViewSet, basename="panel-agenda-item")

urlpatterns = [
    path("figures/", FiguresView.as_view(), name="panel-figures"),
    *router.urls,
]
