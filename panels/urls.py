"""Pages for the central placement panel (mounted at /panel/)."""

from django.urls import path

from panels import views

app_name = "panels"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<id:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<id:pk>/agenda/", views.agenda_add, name="agenda-add"),
    path("meetings/<id:pk>/circulate/", views.circulate, name="circulate"),
    path("meetings/<id:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<id:pk>/attendance/correct/", views.attendance_correct, name="attendance-correct"),
    path("meetings/<id:pk>/held/", views.mark_held, name="mark-held"),
    path("meetings/<id:pk>/pack/", views.pack, name="pack"),
    path("meetings/<id:pk>/minutes/", views.minutes, name="minutes"),
    path("meetings/<id:pk>/minutes/generate/", views.minutes_generate, name="minutes-generate"),
    path("meetings/<id:pk>/minutes/approve/", views.minutes_approve, name="minutes-approve"),
    path("items/<id:pk>/withdraw/", views.item_withdraw, name="item-withdraw"),
    path("items/<id:pk>/defer/", views.item_defer, name="item-defer"),
    path("declarations/<id:pk>/correct/", views.declaration_correct, name="declaration-correct"),
    path("decisions/<id:pk>/", views.decision_detail, name="decision-detail"),
    path("items/<id:pk>/declare/", views.declare, name="declare"),
    path("items/<id:pk>/decide/", views.decide, name="decide"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/new/", views.referral_create, name="referral-create"),
    path("referrals/<id:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<id:pk>/edit/", views.referral_edit, name="referral-edit"),
]
