"""The docs site: Markdown pages and SVG pictures generated from the policy set."""
