from django import forms

from fedimage.notifications.models import EventKind


class EmailSubscriptionsForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="E-mail me when",
    )


class RoomSubscriptionForm(forms.Form):
    room = forms.CharField(
        max_length=255,
        label="Matrix room",
        help_text="A room ID (!abc:fedora.im) or alias (#bootc:fedoraproject.org); the bot must "
        "be in the room.",
    )
    kinds = forms.MultipleChoiceField(
        choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, label="Post when"
    )
