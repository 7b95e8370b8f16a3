import zoneinfo

from django import forms

from fedimage.accounts.models import Profile


def _time_zone_choices() -> list[tuple[str, str]]:
    return [("", "UTC (the server's)")] + [
        (name, name.replace("_", " "))
        for name in sorted(zoneinfo.available_timezones())
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    ]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        required=False,
        label="Time zone",
        help_text="Dates and times on every page are shown in it.",
    )

    class Meta:
        model = Profile
        fields = ["matrix_id", "time_zone"]
        labels = {"matrix_id": "Matrix ID"}


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        help_text="We send a confirmation link; the address is used once you follow it.",
    )


EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "a year"), ("", "never")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What it is for, e.g. “release script on my laptop”.",
    )
    expires_in_days = forms.ChoiceField(
        choices=EXPIRY_CHOICES, required=False, initial="90", label="Expires after"
    )

    def clean_expires_in_days(self) -> int | None:
        value = self.cleaned_data.get("expires_in_days")
        return int(value) if value else None
