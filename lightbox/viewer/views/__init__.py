"""VTK views of the viewer's models, and the Qt ↔ VTK glue that hosts them.

Scenes (``FilmScene``, ``MprScene``, ``VolumeScene``) hold VTK objects only and listen to the
display-state models; they know nothing of Qt, so the headless ``screenshot`` command and the
window draw with the same code. ``qt_vtk.VtkWidget`` hosts a scene in a Qt widget;
``qt_raster.RasterWidget`` draws a film or MPR scene without OpenGL (``raster.PlaneRaster``
computes its image with numpy), for machines whose OpenGL is a software rasteriser.
"""
