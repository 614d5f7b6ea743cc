"""Flywheel's training side: reads exported snapshots and model folders, never the database.

Nothing lives here yet; LoRA SFT/DPO training and evaluation arrive with their issues.
"""
