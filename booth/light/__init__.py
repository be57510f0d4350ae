"""The ring light follows the camera's exposure.

- settings.py: `LightSettings`, the `[light]` table of booth.toml with its defaults.
- curve.py: `LightCurve`, what the ring light adds to the camera's lux reading at each level
  (measured by calibration), used as feed-forward.
- controller.py: `LightController`, pure: per-frame metadata in, light output out.
- calibrate.py: step the light, record exposure × gain once auto-exposure has settled.
- override.py: the staff override (`booth light set 0.4` / `auto`) in the state directory.

The face meter (booth.devices.face_meter) and the take's exposure lock with its face-holding
gain trim (booth.devices.exposure_hold) live with the cameras that run them. A controller's
trial through a simulated room, frame by frame, is bench/light_trial.py.
"""
