from django import forms

from fedimage.health.models import WatchedImage


class RunFilterForm(forms.Form):
    image = forms.ChoiceField(required=False, label="Image")
    parsed = forms.ChoiceField(
        required=False,
        label="Shown",
        choices=[("", "All runs"), ("yes", "Read as test runs"), ("no", "Unparsed")],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        keys = WatchedImage.objects.filter(active=True).values_list("key", "name")
        self.fields["image"].choices = [("", "Every image"), *keys]  # type: ignore[attr-defined]

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "image": data.get("image") or None,
            "parsed": {"yes": True, "no": False}.get(data.get("parsed") or ""),
        }
