from django.urls import path

from orgs.monitoring import views

app_name = "ops"
urlpatterns = [
    path("", views.ops_dashboard, name="dashboard"),
    path("retry-failed/", views.retry_failed_in_lane, name="retry_lane"),
    path("run-checks/", views.run_checks_now, name="run_checks"),
]
