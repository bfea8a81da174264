"""Use a trained method on a new recording: ``export`` (train the final model(s) and write a
self-contained folder), ``recording`` (a clip folder or video as a ``Sample``), ``predict`` (load the
folder, check the clip, predict, draw the page)."""
