"""Pages for the central placement panel (mounted at /panel/)."""

from django.urls import path

from panels import views

app_name = "panels"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/agenda/", views.agenda_add, name="agenda-add"),
    path("meetings/<int:pk>/circulate/", views.circulate, name="circulate"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:pk>/attendance/correct/", views.attendance_correct, name="attendance-correct"),
    path("meetings/<int:pk>/held/", views.mark_held, name="mark-held"),
    path("meetings/<int:pk>/pack/", views.pack, name="pack"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:pk>/minutes/generate/", views.minutes_generate, name="minutes-generate"),
    path("meetings/<int:pk>/minutes/approve/", views.minutes_approve, name="minutes-approve"),
    path("items/<int:pk>/withdraw/", views.item_withdraw, name="item-withdraw"),
    path("items/<int:pk>/defer/", views.item_defer, name="item-defer"),
    path("declarations/<int:pk>/correct/", views.declaration_correct, name="declaration-correct"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision-detail"),
    path("items/<int:pk>/declare/", views.declare, name="declare"),
    path("items/<int:pk>/decide/", views.decide, name="decide"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/new/", views.referral_create, name="referral-create"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral-edit"),
]
