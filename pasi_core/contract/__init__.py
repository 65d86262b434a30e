"""spyne types of the published contract that every endpoint shares."""
