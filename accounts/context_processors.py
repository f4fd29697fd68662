from django.conf import settings


def accounts(request):
    return {"password_login": settings.PASSWORD_LOGIN_ENABLED}
