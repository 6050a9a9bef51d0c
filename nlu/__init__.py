"""Topic and intent classification, trained from Rasa-format YAML (see issue 7)."""
