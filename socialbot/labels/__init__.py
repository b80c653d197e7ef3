"""Learning from moderators: labels people give posts, accuracy on them, retraining."""
