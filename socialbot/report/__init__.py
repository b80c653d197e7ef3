"""The self-contained HTML report: inline SVG charts, alerts, top posts, model accuracy."""
