"""Guards that keep a chaos run from doing more harm than the scenario asks for."""
