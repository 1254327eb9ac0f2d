"""Card exports to other standards. Each exporter returns the document and the list of card facts
the target format has no field for, so nothing is dropped silently."""
