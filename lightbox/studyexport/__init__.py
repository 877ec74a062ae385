"""A study written out of Lightbox as DICOM media: a folder with a DICOMDIR (PS3.10 file-set) that
any viewer opens from a CD or a USB stick, as acquired or de-identified (PS3.15 Annex E)."""
