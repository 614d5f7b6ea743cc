"""Curation and export: versioned, deduplicated, leakage-free SFT, DPO and KTO snapshots with lineage."""
