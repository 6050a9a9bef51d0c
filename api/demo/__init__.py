"""Demo data in one place: staff and their groups, canned answers, the seeded conversations, a trained NLU
model, and the demo CRM (its catalogue, generated customers and hand-written people)."""
