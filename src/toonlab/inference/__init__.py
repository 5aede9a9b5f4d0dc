"""Inference: a trained run's networks and preprocessing, images to normalised tensors, and predictions.

The one path every consumer of a trained run takes (``toonlab eval``, ``eval --robustness``,
``explain``, ``predict``, ``export`` and the API's ``Run``), below them all and above ``models`` and ``data``:

* :mod:`~toonlab.inference.checkpoint`: the checkpoint dict, written atomically, read safely;
* :mod:`~toonlab.inference.networks`: a run's networks with the :class:`Preprocessing` each checkpoint records;
* :mod:`~toonlab.inference.images`: files, folders, PIL images, arrays and tensors decoded the training way;
* :mod:`~toonlab.inference.predict`: outputs of one network over batches, or of a run (members averaged);
* :mod:`~toonlab.inference.run_data`: the data a run is applied to and its labels in the model's class order.

Example:
    >>> from toonlab.inference.networks import load_networks  # doctest: +SKIP
    >>> net = load_networks("runs/demo")[0]  # doctest: +SKIP
    >>> x = net.prep.to_tensor(net.prep.decode("face.png")[None], net.runtime)  # doctest: +SKIP
"""
