"""What becomes expert work: selection of informative, diverse tasks, gold items, human-evaluation pairs."""
