"""Fill the summaries new polls keep (strip, cadence, per-architecture build times) and the
digest facts of every tag's current digest from the history already recorded, so the first poll
after the upgrade costs one HEAD per unchanged tag like every later one."""

from datetime import UTC, datetime
from statistics import median

from django.db import migrations

RECENT_LENGTH = 24
# config.created before this is a placeholder (the epoch of reproducible builds, Go's zero time).
EARLIEST_PLAUSIBLE = datetime(2010, 1, 1, tzinfo=UTC)
CADENCE_DIGESTS = 8


def fill(apps, schema_editor):
    TagState = apps.get_model("health", "TagState")
    Sample = apps.get_model("health", "Sample")
    DigestRecord = apps.get_model("health", "DigestRecord")
    DigestFacts = apps.get_model("health", "DigestFacts")
    facts = {}
    for state in TagState.objects.select_related("image").iterator(chunk_size=200):
        samples = list(
            Sample.objects.filter(tag=state).order_by("-at", "-id").values_list("at", "state")[
                :RECENT_LENGTH
            ]
        )
        state.recent = [[at.isoformat(), value] for at, value in reversed(samples)]
        records = list(DigestRecord.objects.filter(tag=state).order_by("-first_seen", "-id")[:CADENCE_DIGESTS])
        moments = sorted(r.built_at or r.first_seen for r in records)
        gaps = [b - a for a, b in zip(moments, moments[1:]) if b > a]
        state.cadence = median(gaps) if gaps else None
        current = next((r for r in records if r.digest == state.digest), None)
        if current is not None:
            arches = {
                arch: own for arch, own in current.details.items()
                if not arch.startswith("_") and isinstance(own, dict)
            }
            created = {
                arch: datetime.fromisoformat(own["created"])
                for arch, own in arches.items()
                if own.get("created")
            }
            if any(moment < EARLIEST_PLAUSIBLE for moment in created.values()):
                # Judged by a placeholder build time: read it again, labels included.
                state.digest = ""
                state.save(update_fields=["recent", "cadence", "digest"])
                continue
            state.arch_builds = {
                arch: {"at": moment.isoformat(), "source": "config", "note": ""}
                for arch, moment in created.items()
            }
            state.built_source = "config" if state.built_at else ""
            key = (state.image.registry, state.image.repository)
            index = current.media_type in (
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
            )
            platforms = []
            for arch, own in arches.items():
                if not own.get("manifest") or current.thinned:
                    platforms = None
                    break
                platforms.append({
                    "digest": own["manifest"], "architecture": arch if arch != "unknown" else "",
                    "os": own.get("os") or "", "variant": own.get("variant") or "",
                })
                if index:
                    facts[(*key, own["manifest"])] = DigestFacts(
                        registry=key[0], repository=key[1], digest=own["manifest"],
                        media_type="application/vnd.oci.image.manifest.v1+json",
                        config_digest=own.get("config") or "", layers=own.get("layers") or [],
                        base_name=(own.get("base_name") or "")[:500],
                        base_digest=(own.get("base_digest") or "")[:200],
                        architecture=platforms[-1]["architecture"], os=platforms[-1]["os"],
                        variant=platforms[-1]["variant"],
                        created=created.get(arch),
                        created_text=(own.get("created") or "")[:40],
                        version=(own.get("version") or "")[:100],
                    )
            if platforms is not None and index:
                facts[(*key, current.digest)] = DigestFacts(
                    registry=key[0], repository=key[1], digest=current.digest,
                    media_type=current.media_type, platforms=platforms,
                    signed=current.signed, signature_checked_at=state.checked_at,
                )
        state.save(update_fields=["recent", "cadence", "arch_builds", "built_source"])
    # Only indexes are described from history (their platform manifests are in the details);
    # a single manifest's own media type and config are not, so it is read again once.
    DigestFacts.objects.bulk_create(facts.values(), ignore_conflicts=True, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("health", "0003_poll_at_the_floor")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
