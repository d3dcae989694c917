"""Edge mode: the store-and-forward bridge to an upstream broker (`serve --edge`)."""
