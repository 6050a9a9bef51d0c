"""The automated participant: reads a conversation, answers or hands over."""
