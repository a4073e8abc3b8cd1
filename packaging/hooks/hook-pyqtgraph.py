"""PyInstaller hook: pyqtgraph's data (colour maps, icons), its lazily imported UI templates, and
only the PySide6 binding (pyqtgraph imports whichever binding it finds, so without the
exclusions every binding on the build machine would be bundled)."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("pyqtgraph", excludes=["**/examples/**"])
hiddenimports = [
    "pyqtgraph.graphicsItems.ViewBox.axisCtrlTemplate_generic",
    "pyqtgraph.graphicsItems.PlotItem.plotConfigTemplate_generic",
    "pyqtgraph.imageview.ImageViewTemplate_generic",
]
excludedimports = ["PyQt5", "PyQt6", "PySide2", "pyqtgraph.examples", "pyqtgraph.opengl"]
