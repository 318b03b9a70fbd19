"""Real time: Google's push notifications, the webhook that takes them, and the channels."""
