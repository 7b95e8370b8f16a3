"""Template context of every page, from the project layer."""

from fedimage.core import samples


def sample_data(request):
    """Whether `make demo`'s sample data is in the database (the banner; no query)."""
    return {"sample_data": samples.present()}
