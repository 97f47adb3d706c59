"""Qt item models over the labelling rows (the Label tab's grid)."""
