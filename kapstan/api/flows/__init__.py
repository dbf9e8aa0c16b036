"""What an API request adds around an action: approval gates, promotion, config triggers,
webhook signatures and nonces. Pure decisions where possible; the store passed in."""
