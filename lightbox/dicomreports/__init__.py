"""Reports as DICOM (Qt-free): Comprehensive SR documents written and read with highdicom."""
