"""The seeded Ledgerly sample data: generator, templates, gold items, rehearsal sets, simulated answers."""
