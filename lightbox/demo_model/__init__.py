"""The built-in demo model's data, training and evaluation (dev time; NOT for clinical use)."""
