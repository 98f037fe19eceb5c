from django.urls import path

from orgs.auth0logs import views

app_name = "auth0logs"
urlpatterns = [
    path("", views.log_list, name="list"),
    path("export.csv", views.log_export, {"fmt": "csv"}, name="export_csv"),
    path("export.jsonl", views.log_export, {"fmt": "jsonl"}, name="export_jsonl"),
]
