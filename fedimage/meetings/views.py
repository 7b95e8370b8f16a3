"""Meeting pages: parse input, check permission, call a selector or a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fedimage.core.permissions import allowed, require
from fedimage.initiative.selectors import blocker_get
from fedimage.meetings import selectors, services
from fedimage.meetings.agenda import agenda_for
from fedimage.meetings.forms import (
    ActionItemForm,
    ActionOwnerForm,
    ActionStatusForm,
    AttendeesForm,
    DecisionForm,
    DeferForm,
    JustificationForm,
    MeetingForm,
    NotesForm,
    ReviewDecisionForm,
    VoteForm,
)
from fedimage.meetings.minutes import FORMATS, RENDERERS, build_minutes

# More blockers than this waiting for review: the page offers to defer the rest.
BACKLOG_SIZE = 5
# Reviews shown in full (votes, forms) on a meeting page and in meeting mode; the others one
# line each, linked, and `?reviews=2` shows the next ones in full. A year's backlog (118
# blockers at 2.5 KB each) made the page 330 KB.
REVIEWS_IN_FULL = 20
# The agenda's votes, reviews, decisions and action items listed on the pages (the latest);
# the changes page has them all.
AGENDA_LOG_SHOWN = 50


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the form's `next` if it is a local URL, else to `default`."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


def _form_errors(request: HttpRequest, form) -> None:
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _form_post(request: HttpRequest, form, act, back: str) -> HttpResponse:
    """Validate a posted form, call `act(cleaned_data)` (it returns the success message; a
    ValidationError becomes an error message, nothing changed), then go back."""
    if form.is_valid():
        try:
            done = act(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
    else:
        _form_errors(request, form)
    return _back(request, back)


@require_http_methods(["GET", "POST"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    form = MeetingForm()
    if request.method == "POST":
        require(request.user, "meetings.schedule")
        form = MeetingForm(request.POST)
        if form.is_valid():
            meeting = services.meeting_schedule(user=request.user, **form.cleaned_data)
            messages.success(request, f"Meeting of {meeting.starts_at:%Y-%m-%d} scheduled.")
            return redirect(meeting)
    upcoming, past = selectors.upcoming_and_past()
    return render(
        request,
        "meetings/meeting_list.html",
        {"upcoming": upcoming, "past": past, "form": form},
        status=400 if form.errors else 200,
    )


def _meeting_context(request: HttpRequest, pk: int) -> dict:
    meeting = selectors.meeting_get(pk=pk)
    agenda = agenda_for(meeting, user=request.user, log_limit=AGENDA_LOG_SHOWN)
    tallies = selectors.reviews_for_meeting(meeting=meeting, user=request.user)
    review_page = Paginator(tallies, REVIEWS_IN_FULL).get_page(request.GET.get("reviews"))
    for tally in review_page:
        tally.my_vote = tally.vote_of(request.user)
    in_full = range(review_page.start_index(), review_page.end_index() + 1)
    return {
        "meeting": meeting,
        "agenda": agenda,
        "tallies": tallies,
        "review_page": review_page,
        # (position, tally) of the reviews shown one line each.
        "reviews_in_brief": [
            (n, tally) for n, tally in enumerate(tallies, start=1) if n not in in_full
        ],
        "waiting": sum(1 for t in tallies if t.is_open_for_votes),
        "deferred": selectors.deferred_by(meeting=meeting, user=request.user),
        "backlog_size": BACKLOG_SIZE,
        "agenda_log_shown": AGENDA_LOG_SHOWN,
        "decisions": selectors.decisions_of(meeting=meeting, user=request.user),
        "action_items": selectors.action_items_for(meeting=meeting, since=agenda.since),
        "attendees": sorted(meeting.attendees.all(), key=lambda u: u.get_username()),
        "formats": FORMATS,
    }


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _meeting_context(request, pk)
    meeting = context["meeting"]
    if allowed(request.user, "meetings.run", meeting):
        usernames = " ".join(u.get_username() for u in context["attendees"])
        context |= {
            "attendees_form": AttendeesForm(initial={"usernames": usernames}),
            "notes_form": NotesForm(initial={"notes": meeting.notes}),
            "decision_form": DecisionForm(),
            "action_form": ActionItemForm(),
        }
    return render(request, "meetings/meeting_detail.html", context)


@require_GET
def meeting_present(request: HttpRequest, pk: int) -> HttpResponse:
    """Meeting mode: one item at a time on the shared screen, driven by the keyboard."""
    context = _meeting_context(request, pk)
    context["milestones"] = selectors.milestone_walk(user=request.user)
    return render(request, "meetings/meeting_present.html", context)


@require_GET
def meeting_minutes(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in RENDERERS:
        raise Http404("No such minutes format.")
    meeting = selectors.meeting_get(pk=pk)
    base_url = request.build_absolute_uri("/").rstrip("/")
    text = RENDERERS[fmt](build_minutes(meeting, base_url=base_url))
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    if request.GET.get("download"):
        extension = FORMATS[fmt][1]
        name = f"minutes-{meeting.starts_at:%Y-%m-%d}-{fmt}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def meeting_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(pk=pk)
    require(request.user, "meetings.run")
    form = AttendeesForm(request.POST)
    if form.is_valid():
        services.meeting_update(
            meeting=meeting, user=request.user, attendees=form.cleaned_data["usernames"]
        )
        messages.success(request, "Attendees recorded.")
    else:
        _form_errors(request, form)
    return _back(request, meeting.get_absolute_url())


@login_required
@require_POST
def meeting_attend(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(pk=pk)
    services.meeting_attend(meeting=meeting, user=request.user)
    messages.success(request, "You are marked present.")
    return _back(request, meeting.get_absolute_url())


def _lead_form_post(
    request: HttpRequest, pk: int, *, form_class, service, rule: str, done: str
) -> HttpResponse:
    """A lead posts one of the meeting's forms: validate, call the service, go back."""
    meeting = selectors.meeting_get(pk=pk)
    require(request.user, rule, meeting)
    form = form_class(request.POST)
    if form.is_valid():
        service(meeting=meeting, user=request.user, **form.cleaned_data)
        messages.success(request, done)
    else:
        _form_errors(request, form)
    return _back(request, meeting.get_absolute_url())


@login_required
@require_POST
def meeting_notes(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_form_post(
        request,
        pk,
        form_class=NotesForm,
        service=services.meeting_update,
        rule="meetings.run",
        done="Notes saved.",
    )


@login_required
@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_form_post(
        request,
        pk,
        form_class=DecisionForm,
        service=services.decision_record,
        rule="meetings.record_decision",
        done="Decision recorded.",
    )


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_form_post(
        request,
        pk,
        form_class=ActionItemForm,
        service=services.action_item_add,
        rule="meetings.assign_action_item",
        done="Action item recorded.",
    )


@login_required
@require_POST
def action_status(request: HttpRequest, item_pk: int) -> HttpResponse:
    item = selectors.action_item_get(pk=item_pk)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_item_set_status(item=item, user=request.user, **form.cleaned_data)
        messages.success(request, "Action item updated.")
    else:
        _form_errors(request, form)
    return _back(request, item.meeting.get_absolute_url())


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int, blocker_pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(pk=pk)
    require(request.user, "meetings.decide_review")
    blocker = blocker_get(user=request.user, pk=blocker_pk)

    def act(data: dict) -> str:
        services.review_decide(blocker=blocker, meeting=meeting, user=request.user, **data)
        return f"Decision on #{blocker.pk} recorded."

    return _form_post(request, ReviewDecisionForm(request.POST), act, meeting.get_absolute_url())


@login_required
@require_POST
def vote(request: HttpRequest, blocker_pk: int) -> HttpResponse:
    """Cast or change one's vote on a blocker, from its page or from a meeting."""
    blocker = blocker_get(user=request.user, pk=blocker_pk)

    def act(data: dict) -> str:
        cast, created = services.vote_cast(blocker=blocker, user=request.user, **data)
        verb = "recorded" if created else "changed"
        return f"Your vote {cast.get_value_display()} on #{blocker.pk} is {verb}."

    return _form_post(request, VoteForm(request.POST), act, blocker.get_absolute_url())


@login_required
@require_POST
def justify(request: HttpRequest, blocker_pk: int) -> HttpResponse:
    blocker = blocker_get(user=request.user, pk=blocker_pk)

    def act(data: dict) -> str:
        services.review_justify(blocker=blocker, user=request.user, **data)
        return "Justification saved."

    return _form_post(request, JustificationForm(request.POST), act, blocker.get_absolute_url())


@login_required
@require_POST
def review_defer(request: HttpRequest, pk: int) -> HttpResponse:
    """A backlog: review the first blockers now and leave the rest to the next meeting."""
    meeting = selectors.meeting_get(pk=pk)
    require(request.user, "meetings.run")

    def act(data: dict) -> str:
        rest = services.review_defer_rest(meeting=meeting, user=request.user, keep=data["keep"])
        return f"{len(rest)} left to the next meeting."

    return _form_post(request, DeferForm(request.POST), act, meeting.get_absolute_url())


@login_required
@require_POST
def action_owner(request: HttpRequest, item_pk: int) -> HttpResponse:
    item = selectors.action_item_get(pk=item_pk)
    require(request.user, "meetings.assign_action_item")

    def act(data: dict) -> str:
        services.action_item_reassign(item=item, user=request.user, **data)
        return "Action item reassigned."

    return _form_post(request, ActionOwnerForm(request.POST), act, item.meeting.get_absolute_url())
