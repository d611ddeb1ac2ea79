"""The Qt side of Conv Explorer: PySide6 + pyqtgraph widgets over :mod:`explorer.core`.

Import the widgets from their modules (``explorer.ui.views.feature_grid.FeatureMapGrid``,
``explorer.ui.views.weight_view.WeightView``, ``explorer.ui.views.cost_view.CostView``,
``explorer.ui.window.render.render_figures`` …); this package imports nothing itself, so that
importing one widget does not pull in the others.
"""
