"""From many answers to one decision: the answer table, reliability, resolution, agreement, adjudication."""
