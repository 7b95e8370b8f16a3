"""Template context every page needs."""

from fedimage.initiative.rules import is_lead


def roles(request):
    return {"user_is_lead": is_lead(request.user) if hasattr(request, "user") else False}
