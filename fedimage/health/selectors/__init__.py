"""Reads of image health, shaped for the pages, the summaries other pages embed, the API, tasks.

`grid`: images, tags and their states (summaries, the grid page, the image page, the API);
`evidence`: declared stage against base-image evidence; `runs`: the progress of polls;
`history`: state changes in a window and build cadence.
"""

from fedimage.health.selectors.evidence import EvidenceVerdict, base_evidence_by_subproject
from fedimage.health.selectors.grid import (
    ArchCell,
    GridPage,
    ImageRow,
    Mark,
    TagRow,
    active_images,
    health_grid,
    health_grid_page,
    image_change_history,
    image_changes,
    image_digest_history,
    image_get,
    image_list,
    image_rows,
    rows_counts,
    state_counts,
    tag_list,
)
from fedimage.health.selectors.history import (
    active_image_keys,
    active_image_names,
    builds_per_week,
    last_build_by_image,
    state_changes_between,
)
from fedimage.health.selectors.runs import (
    BatchProgress,
    RunView,
    batch_progress,
    image_last_polls,
    image_run_latest,
)
from fedimage.health.selectors.testing import digest_tags, tags_of_repository, tests_tag_list

__all__ = [
    "ArchCell",
    "BatchProgress",
    "EvidenceVerdict",
    "GridPage",
    "ImageRow",
    "Mark",
    "RunView",
    "TagRow",
    "active_image_keys",
    "active_image_names",
    "active_images",
    "base_evidence_by_subproject",
    "batch_progress",
    "builds_per_week",
    "digest_tags",
    "health_grid",
    "health_grid_page",
    "image_change_history",
    "image_changes",
    "image_digest_history",
    "image_get",
    "image_last_polls",
    "image_list",
    "image_rows",
    "image_run_latest",
    "last_build_by_image",
    "rows_counts",
    "state_changes_between",
    "state_counts",
    "tag_list",
    "tags_of_repository",
    "tests_tag_list",
]
