"""PACS (Qt-free): DIMSE with pynetdicom and DICOMweb with dicomweb-client. No socket opens
unless a command or the window asks for a configured server."""
