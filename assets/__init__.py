"""Files bundled with Conv Explorer: sample photos (``samples/``) and lesson scenes (``scenes/``).

Installed as the package ``explorer.assets``; find files with
``importlib.resources.files("explorer.assets")`` or :mod:`explorer.core.io.samples`.
"""
