"""Forms of the initiative pages; services do the writing."""

import uuid

from django import forms

from fedimage.initiative.models import (
    Blocker,
    BlockerStatus,
    Category,
    MilestoneStatus,
    ReviewState,
    Severity,
    Stage,
)
from fedimage.initiative.selectors import (
    BLOCKER_ORDERS,
    active_users,
    milestone_choices,
    release_queryset,
    subproject_choices,
)


class BlockerForm(forms.ModelForm):
    """File or edit a blocker."""

    tracking_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Tracking issue URL",
        help_text="The upstream or GitLab issue that tracks the fix, if there is one.",
    )
    owner = forms.ModelChoiceField(
        queryset=active_users(),
        required=False,
        to_field_name="username",
        help_text="Who drives it to a fix. Leave empty if nobody has taken it yet.",
    )

    class Meta:
        model = Blocker
        fields = [
            "title",
            "severity",
            "category",
            "description",
            "milestones",
            "subprojects",
            "tracking_url",
            "owner",
            "private",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "milestones": forms.CheckboxSelectMultiple,
            "subprojects": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "title": "One line a busy reader understands, e.g. “bootc install fails on s390x”.",
            "description": "Markdown. What breaks, for whom, and what would unblock it.",
            "milestones": "The milestones this blocker puts at risk.",
            "subprojects": "The subprojects it affects.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestones"].queryset = milestone_choices()
        self.fields["milestones"].label_from_instance = lambda m: f"{m.release.name}: {m.title}"
        self.fields["subprojects"].queryset = subproject_choices()

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if len(title) < 5:
            raise forms.ValidationError("Say what is blocked in at least 5 characters.")
        return title


class BlockerStatusForm(forms.Form):
    status = forms.ChoiceField(choices=BlockerStatus.choices)


class BlockerFilterForm(forms.Form):
    """The blocker list's filters; invalid values are reported, not silently dropped."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            ("unresolved", "Unresolved (open, in progress, fixed upstream; not rejected)"),
            *BlockerStatus.choices,
        ],
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    category = forms.ChoiceField(required=False, choices=[("", "Any category"), *Category.choices])
    review_state = forms.ChoiceField(
        required=False,
        label="Review",
        choices=[("", "Any review state"), *ReviewState.choices],
        help_text="The weekly meeting's verdict.",
    )
    milestone = forms.ModelChoiceField(
        required=False,
        queryset=milestone_choices(),
        to_field_name="key",
        empty_label="Any milestone",
    )
    subproject = forms.ModelChoiceField(
        required=False,
        queryset=subproject_choices(),
        to_field_name="key",
        empty_label="Any subproject",
    )
    release = forms.ModelChoiceField(
        required=False,
        queryset=release_queryset(),
        to_field_name="key",
        empty_label="Any release",
    )
    upstream_fixed = forms.BooleanField(
        required=False,
        label="Fixed upstream — confirm?",
        help_text="Open or in-progress blockers whose tracked upstream issue has closed.",
    )
    sort = forms.ChoiceField(
        required=False,
        label="Order",
        choices=[(key, words) for key, words, _ in BLOCKER_ORDERS],
    )


class MilestonePlanForm(forms.Form):
    target_date = forms.DateField(
        required=False,
        label="Target date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    owner = forms.CharField(
        required=False,
        max_length=200,
        help_text="FAS names, separated by commas.",
    )

    def clean_target_date(self):
        value = self.cleaned_data["target_date"]
        if value is not None and not 2000 <= value.year <= 2100:
            raise forms.ValidationError("Give a date between the years 2000 and 2100.")
        return value


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(choices=MilestoneStatus.choices)
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why, in a sentence; the weekly meeting reads it.",
    )


class MigrationStageForm(forms.Form):
    stage = forms.TypedChoiceField(choices=Stage.choices, coerce=int)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_url = forms.URLField(
        required=False,
        max_length=500,
        label="Evidence URL",
        assume_scheme="https",
        help_text="A build, an image or an announcement that shows it.",
    )


class BlockerFileForm(BlockerForm):
    """Filing a blocker also asks why it should block: the weekly meeting reviews it.

    `submission` is a one-time token set when the form is shown: the same form sent twice
    (double click, back and resubmit, a duplicated tab) files one blocker.
    """

    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission"] = uuid.uuid4()

    justification = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this should block the milestones you ticked. The weekly meeting reviews "
        "new blockers and votes on them.",
    )
