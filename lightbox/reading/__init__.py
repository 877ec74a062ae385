"""Reading like a radiologist: priors to compare with, linked panes, hanging protocols (Qt-free)."""
