"""How far the automatic scores agree with careful human labels (``cxqa evaluate``)."""
