"""Review monitoring's edge: wiring, settings, the aggregator webhook, the import command, the monitoring page."""
