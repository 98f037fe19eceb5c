from django.urls import URLPattern

app_name = "idp_selfservice"
urlpatterns: list[URLPattern] = []
