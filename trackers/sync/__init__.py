"""Tracker sync as a declared pipeline: list -> map -> upsert -> reconcile -> ledger.

- list (`listing`): page through the tracker from where the last stored page left off, waiting
  out short rate limits; the position is saved with every stored page, so a run stopped by a
  rate limit, an outage or a killed worker resumes there;
- map (`mapping`): a tracker's issue onto the fields fedimage stores;
- upsert (`upsert`): write what changed, one transaction per page, and say what changed;
- reconcile (`reconcile`): compare the tracker's issue counts with what is held and list only
  the ranges that differ, to see deletions and transfers without a full listing;
- ledger (`ledger`): the run's row, the source's status (listings only), the run's counts.

`pipeline` runs the stages for a source or one issue; `trackers.services` is the public face.
"""
