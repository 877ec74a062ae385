"""Imaging: DICOM and film loading into Qt-free, VTK-free models (``views`` holds the VTK side)."""
