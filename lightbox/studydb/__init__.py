"""The study database (Qt-free): what Lightbox has opened or imported, searchable."""
