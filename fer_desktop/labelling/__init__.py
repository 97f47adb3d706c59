"""Label every face in a folder of photos: plain Python, shared by ``fer-desktop label`` and the Label tab.

The modules, by concern: ``rows`` (a face's row, its CSV columns, a run's summary), ``walk``
(which files a run sees), ``reuse`` (an earlier run's results and the output's lock),
``decoding`` and ``labeller`` (one photo's faces), ``runs`` (a folder run), ``export`` (CSV,
JSON, crops), ``parallel`` and ``merge`` (``--jobs`` and ``--shard``), ``corrections`` (human
labels) and ``session`` (the Label tab's state, without Qt).
Every caller imports from the module that defines a name.
"""
