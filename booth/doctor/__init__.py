"""`booth doctor`: checks of a booth's hardware, starting with the acceptance recording."""
