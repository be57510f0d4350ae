"""The device ports: what the booth needs of a camera, a microphone, a speaker and a light.

Protocols and the data they carry, importing no device library (picamera2, pyalsaaudio,
gpiozero, PyAV, pygame). The kiosk, the flow, the light controller and the media code see
devices only through these; the adapters beside them in booth.devices (the Pi's) and in
booth.sim (the simulator's) implement them, and a world (booth.devices.world) hands them out.
"""
