"""``seg ui``: the Segment Builder as a local web page (docs/ui.md)."""
