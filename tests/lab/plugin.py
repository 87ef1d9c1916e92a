"""pytest plugin loaded with `-p lab.plugin`: the lab's fixtures and markers."""
