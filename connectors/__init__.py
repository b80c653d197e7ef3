"""Platform connectors: each turns a platform's API into Pages of domain Posts."""
