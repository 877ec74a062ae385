"""The Qt shell: windows, docks, actions, workers and the command line."""
