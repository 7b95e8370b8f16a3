from django import forms

from fedimage.health.selectors import active_image_names


class RunFilterForm(forms.Form):
    image = forms.ChoiceField(required=False, label="Image")
    parsed = forms.ChoiceField(
        required=False,
        label="Shown",
        choices=[("", "All runs"), ("yes", "Read as test runs"), ("no", "Unparsed")],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        images = active_image_names()
        self.fields["image"].choices = [("", "Every image"), *images]  # type: ignore[attr-defined]

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "image": data.get("image") or None,
            "parsed": {"yes": True, "no": False}.get(data.get("parsed") or ""),
        }
