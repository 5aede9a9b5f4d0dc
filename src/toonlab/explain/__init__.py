"""See what a network learned: attributions (Captum) with scores against drawn regions, weights and
activations, and per-layer diagnostics at initialisation."""
