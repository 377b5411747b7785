"""segkit: the Python side of the segmentation engine (compiler, loader, demo store, CLI)."""
