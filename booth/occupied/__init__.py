"""The occupied light's owner: a process of its own that follows the kiosk's state record."""
