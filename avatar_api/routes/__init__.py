"""One router per resource; ``app`` includes them in this order."""
