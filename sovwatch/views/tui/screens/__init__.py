"""The app's screens: the main rollout screen and the help and stream-health dialogs."""
