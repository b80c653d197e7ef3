"""socialbot: social media monitoring and human-approved replies, on your own machine."""

__version__ = "0.1.0"
