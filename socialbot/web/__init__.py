"""The web dashboard (`socialbot serve`): the store's trends, alerts, posts and drafts in a
browser, behind logins; the third face of the same library as the CLI and the queue."""
