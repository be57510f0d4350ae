"""The kiosk's screens: draw a session View with pygame, and map touches and keys to actions."""
