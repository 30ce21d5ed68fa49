"""Routes under a questionnaire link: the only pages a vendor contact (no account) can reach."""

from django.urls import path

from vendors import questionnaire_views as views

app_name = "questionnaire"
urlpatterns = [
    path("<str:token>/", views.questionnaire_page, name="page"),
    path("<str:token>/items/<int:response_id>/answer/", views.questionnaire_answer, name="answer"),
    path("<str:token>/items/<int:response_id>/files/", views.questionnaire_upload, name="upload"),
]
