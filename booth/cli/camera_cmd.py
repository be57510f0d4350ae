"""`booth camera snapshot FILE`: one picture from the booth's camera, and how it was exposed.

For checking the framing and the light after mounting a camera, from an SSH session.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.devices.ports.camera import CameraError

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "camera",
        help="the camera: `booth camera snapshot FILE` saves a picture",
        description="Look through the booth's camera.",
    )
    sub = parser.add_subparsers(dest="camera_command", metavar="ACTION")
    sub.required = True
    snap = sub.add_parser(
        "snapshot",
        help="save one frame as PNG or JPEG (the kiosk must be stopped)",
        description=(
            "Start the camera, let its auto-exposure settle for a second, save the last frame "
            "to FILE (.png, .jpg or .jpeg) and print its exposure time, gains and lux. On a "
            "Pi the picture is the preview stream (at most 640 pixels wide). The kiosk holds "
            "the camera while it runs: stop it first (sudo systemctl stop booth-kiosk). With "
            'backend = "sim" the picture is of the simulated booth.'
        ),
    )
    snap.add_argument("file", metavar="FILE", type=Path, help="where to save the picture")
    add_config_option(snap)
    snap.set_defaults(func=run_snapshot)


def save_picture(rgb: np.ndarray, path: Path) -> None:
    """Write an (height, width, 3) uint8 RGB picture as PNG or JPEG, by `path`'s suffix."""
    import pygame

    height, width = rgb.shape[:2]
    surface = pygame.image.frombuffer(np.ascontiguousarray(rgb).tobytes(), (width, height), "RGB")
    pygame.image.save(surface, str(path))


def run_snapshot(args: argparse.Namespace) -> int:
    from booth.cli.world import world_for
    from booth.doctor.checkup import running_kiosk
    from booth.doctor.still_camera import describe_exposure, settled_frame

    path: Path = args.file
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"{path}: name it .png, .jpg or .jpeg (the suffix picks the format)")
    if not path.parent.is_dir():
        raise UserError(f"{path.parent}: no such directory for the picture")
    settings = load_booth_settings(args.config)
    kiosk = running_kiosk(settings.paths.state)
    if kiosk is not None:
        raise UserError(
            f"the kiosk is running (pid {kiosk.pid}) and holds the camera: stop it first "
            "(sudo systemctl stop booth-kiosk)"
        )
    try:
        with world_for(settings) as world, world.opened_camera() as camera:
            frame = settled_frame(camera)
            model = getattr(camera, "model", "camera")
    except CameraError as error:
        raise UserError(str(error)) from None
    try:
        save_picture(frame.image, path)
    except (OSError, RuntimeError) as error:  # pygame.error is a RuntimeError
        raise UserError(f"{path}: cannot save the picture ({error})") from None
    height, width = frame.image.shape[:2]
    print(f"{path}: {width}x{height} {FORMATS[path.suffix.lower()]} from the {model} camera")
    print(describe_exposure(frame.metadata))
    return 0
