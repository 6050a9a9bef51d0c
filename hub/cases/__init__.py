"""Cases: work handed to specialist groups and stores, with routing, SLA in working hours and a route map."""
