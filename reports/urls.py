from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.page, name="page"),
    path("report.csv", views.download_csv, name="csv"),
    path("report.pdf", views.download_pdf, name="pdf"),
    path("emails/", views.emails, name="emails"),
]
