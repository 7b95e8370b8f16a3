"""Forms of the meeting pages; services do the writing."""

from django import forms
from django.core.validators import RegexValidator

from fedimage.core.inputs import DateTimeField
from fedimage.initiative.selectors import active_users
from fedimage.meetings.models import ActionStatus, Meeting, ReviewState, VoteValue

# Decisions, reasons and action items are single lines of the minutes; a line break would
# start a heading or a list item of its own there.
_single_line = RegexValidator(
    r"[\r\n]", inverse_match=True, message="Keep it on one line, without line breaks."
)


class MeetingForm(forms.ModelForm):
    starts_at = DateTimeField(
        label="Starts at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = Meeting
        fields = ["title", "starts_at", "duration_minutes", "location"]
        labels = {"duration_minutes": "Duration (minutes)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = "Leave empty for “Fedora Image Mode weekly meeting”."


class AttendeesForm(forms.Form):
    usernames = forms.CharField(
        label="Attendees",
        required=False,
        max_length=2000,
        help_text="User names, separated by commas or spaces.",
    )

    def clean_usernames(self):
        names = sorted({n for n in self.cleaned_data["usernames"].replace(",", " ").split() if n})
        users = list(active_users(usernames=names))
        unknown = sorted(set(names) - {u.username for u in users})
        if unknown:
            raise forms.ValidationError(f"No such user: {', '.join(unknown)}.")
        return users


class NotesForm(forms.Form):
    notes = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. Goes into the minutes.",
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label="Agreed", max_length=2000, validators=[_single_line])


class ActionItemForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=active_users(), to_field_name="username")
    text = forms.CharField(label="Action", max_length=500, validators=[_single_line])
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due"
    )


class ActionOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=active_users(), to_field_name="username", label="Give it to"
    )


class DeferForm(forms.Form):
    keep = forms.IntegerField(
        min_value=1,
        max_value=1000,
        label="Review now",
        help_text="The first ones in this order; the rest go to the next meeting.",
    )


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)


class ReviewDecisionForm(forms.Form):
    # No default: a decision nobody chose must not be recorded by a stray click.
    state = forms.ChoiceField(
        label="Decision",
        choices=[
            ("", "Choose…"),
            (ReviewState.ACCEPTED, ReviewState.ACCEPTED.label),
            (ReviewState.REJECTED, ReviewState.REJECTED.label),
            (ReviewState.NEEDS_INFO, ReviewState.NEEDS_INFO.label),
        ],
    )
    reason = forms.CharField(
        max_length=2000, help_text="For the minutes.", validators=[_single_line]
    )
    no_vote_reason = forms.CharField(
        label="Deciding without a vote, because",
        required=False,
        max_length=500,
        validators=[_single_line],
        help_text="Only when nobody has voted: say why the meeting decides anyway.",
    )


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=VoteValue.choices, coerce=int, widget=forms.RadioSelect, label="Vote"
    )
    comment = forms.CharField(required=False, max_length=500)


class JustificationForm(forms.Form):
    justification = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why should this block the initiative? The meeting reads it before voting.",
    )
