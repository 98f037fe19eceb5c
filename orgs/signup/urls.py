from django.urls import path

from orgs.signup import staff_views, views

app_name = "signup"
urlpatterns = [
    path("", views.signup_form, name="form"),
    path("name-check/", views.name_check, name="name_check"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("<uuid:public_id>/", views.signup_status, name="status"),
    path("<uuid:public_id>/progress/", views.signup_progress, name="progress"),
    path("<uuid:public_id>/resend/", views.resend, name="resend"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/<int:pk>/approve/", staff_views.staff_approve, name="staff_approve"),
    path("staff/<int:pk>/refuse/", staff_views.staff_refuse, name="staff_refuse"),
    path("staff/<int:pk>/retry/", staff_views.staff_retry, name="staff_retry"),
]
