"""The ring light follows the camera's exposure.

- settings.py: `LightSettings`, the `[light]` table of booth.toml with its defaults.
- curve.py: `LightCurve`, what the ring light adds to the camera's lux reading at each level
  (measured by calibration), used as feed-forward.
- controller.py: `LightController`, pure: per-frame metadata in, light output out.
- calibrate.py: step the light, record exposure × gain once auto-exposure has settled.
- face.py: the face patch of a frame and its brightness (calibration, benchmarks, the trim).
- hold.py: `FaceHold`, a take's locked exposure with its small face-holding gain trim (run by
  the cameras while an encoder is attached).
- trial.py: a controller through a simulated room, frame by frame, and its figures.
- override.py: the staff override (`booth light set 0.4` / `auto`) in the state directory.
"""
