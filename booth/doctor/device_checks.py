"""`booth doctor`'s camera and microphone checks.

Both open the device, as the kiosk would, and judge what it delivers: a frame with exposure
metadata, a second of audio that is not digital silence. While the kiosk runs it holds both
devices, so then the kiosk's own verdict (the fault in its state record) is reported instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from booth.devices.choice import choose_speaker, read_connectors
from booth.devices.level_meter import LevelMeter
from booth.devices.live_mic import LiveMic
from booth.devices.ports.camera import CameraError, CameraUnavailable
from booth.devices.ports.microphone import MicrophoneError
from booth.devices.ports.speaker import SpeakerError
from booth.devices.sound_cards import PROC_ASOUND, sound_cards
from booth.devices.speaker import Speaker
from booth.devices.world import WorldChecks
from booth.doctor.checks import FAIL, PASS, SKIP, SYS_DRM, WARN, Check
from booth.doctor.still_camera import describe_exposure, settled_frame
from booth.kiosk.health import needs_sound
from booth.state import KioskState

CAMERA_FIX = "check the ribbon cable at both ends, then `rpicam-hello --list-cameras`"
PICAMERA2_FIX = (
    "sudo apt install python3-picamera2, with the venv made by deploy/install.sh "
    "(--system-site-packages)"
)
MIC_FIX = (
    "plug in the USB microphone, check [devices] mic_device against `arecord -l`, "
    "and its mute switch"
)
BLACK_LEVEL = 4
"""A settled frame whose brightest pixels stay below this (of 255) shows nothing: a lens cap."""


# The kiosk's health check judges these in this order and reports only the first fault.
KIOSK_JUDGES = ("camera", "microphone")


def held_by_kiosk(check: str, kiosk: KioskState) -> Check:
    """`check` ("camera" or "microphone") as the running kiosk sees it: its fault, if about
    this device (the kiosk words its faults "camera: …" and "microphone: …"); skipped when a
    fault of a device the kiosk judges first hides it."""
    fault = kiosk.fault or ""
    if fault.startswith(f"{check}:"):
        return Check(
            check,
            FAIL,
            f"the running kiosk reports {fault}",
            f"see the journal: booth logs; stop the kiosk to let booth doctor open the {check}",
        )
    before = KIOSK_JUDGES[: KIOSK_JUDGES.index(check)]
    hidden_by = next((d for d in before if fault.startswith(f"{d}:")), None)
    if hidden_by is not None:
        return Check(
            check,
            SKIP,
            f"in use by the running kiosk (pid {kiosk.pid}), which reports its {hidden_by} "
            f"fault first and does not judge the {check} until that is fixed",
            f"fix the {hidden_by}, or stop the kiosk to let booth doctor open the {check}",
        )
    return Check(check, PASS, f"in use by the running kiosk (pid {kiosk.pid}), which sees no fault")


def camera_check(open_camera: Callable[[], AbstractContextManager[Any]]) -> Check:
    """Open the camera, let auto-exposure settle a second, and look at the last frame.

    open_camera: makes the context manager of a started camera (`World.opened_camera`).
    """
    try:
        with open_camera() as camera:
            frame = settled_frame(camera)
            model = getattr(camera, "model", "camera")
            lens = getattr(camera, "lens", None)
    except CameraUnavailable as error:
        return Check("camera", FAIL, str(error), PICAMERA2_FIX)
    except CameraError as error:
        return Check("camera", FAIL, str(error), CAMERA_FIX)
    metadata = frame.metadata
    height, width = frame.image.shape[:2]
    if not metadata.get("ExposureTime"):
        return Check(
            "camera",
            FAIL,
            f"{model}: frames come without exposure metadata",
            "update Raspberry Pi OS (libcamera and picamera2): sudo apt full-upgrade",
        )
    detail = f"{model}, {width}x{height}: {describe_exposure(metadata)}"
    if lens:  # an autofocus module: where its lens is (booth.devices.pi_camera.lens_state)
        detail += f"; focus {lens}"
        if lens.startswith("failed"):
            return Check(
                "camera",
                WARN,
                f"{detail}: autofocus found no sharp picture",
                'clean the lens and sit in the chair, or set [camera] focus = "distance"',
            )
    if int(np.max(frame.image)) < BLACK_LEVEL:
        return Check("camera", WARN, f"{detail}; the picture is black", "take off the lens cap")
    return Check("camera", PASS, detail)


def microphone_check(open_mic: Callable[[], LiveMic], seconds: float = 1.0) -> Check:
    """Open the microphone and listen for `seconds`: it must deliver, and not only zeros (a
    working microphone always hears some room noise)."""
    try:
        mic = open_mic()
    except MicrophoneError as error:
        return Check("microphone", FAIL, str(error), MIC_FIX)
    try:
        samples = mic.record(seconds)
        fault = mic.fault
        device = mic.device
        why = getattr(mic, "chosen_because", "")
        rate = mic.rate
    finally:
        mic.close()
    if fault or len(samples) < seconds * rate / 2:
        got = len(samples) / rate
        return Check(
            "microphone",
            FAIL,
            f"{device}: delivered {got:.2f} s of audio in {seconds:g} s"
            + (f" ({fault})" if fault else ""),
            MIC_FIX,
        )
    meter = LevelMeter(rate, window_s=len(samples) / rate)
    meter.feed(samples)
    level = f"{device}: {meter.rms_dbfs:.0f} dBFS RMS, peak {meter.peak_dbfs:.0f} dBFS"
    if why:
        level += f" ({why})"
    if meter.rms_dbfs <= meter.silence_dbfs:
        return Check(
            "microphone",
            FAIL,
            f"{level}: only silence",
            "unmute it (its switch, or `alsamixer -c CARD`, F4 capture) and check its cable",
        )
    if meter.clipping:
        return Check(
            "microphone",
            WARN,
            f"{level}: clipping",
            "turn the capture level down (`alsamixer`, F4) or move the microphone further away",
        )
    return Check("microphone", PASS, level)


SPEAKER_FIX = (
    "check [devices] speaker_device against `aplay -l` (a card's id, e.g. vc4hdmi0 for the "
    "screen's HDMI speakers, or a USB speaker's), and that nothing else plays"
)


def speaker_check(
    world: WorldChecks,
    name: str,
    proc: Path = PROC_ASOUND,
    open_pcm: Callable[..., Any] = Speaker,
    drm: Path = SYS_DRM,
    interviews: Sequence[Any] = (),
) -> Check:
    """Which device plays the clips, chosen as the kiosk chooses it (`booth.devices.choice`:
    the setting, else a USB card, HDMI audio on a port with a real screen, the analogue
    output), and that it opens at the booth's format (48 kHz stereo). No speaker fails when an
    installed interview plays sound, and only warns when they are all text. world: whether
    the world has sound cards to choose from."""
    if not world.speaker:
        return Check("speaker", SKIP, world.not_checked)
    choice = choose_speaker(sound_cards(proc), read_connectors(drm), name)
    if choice.device is None:
        sounding = [iv.id for iv in interviews if needs_sound(iv)]
        if sounding:
            return Check(
                "speaker",
                FAIL,
                f"{choice.error} (interview {sounding[0]!r} plays sound: the booth is out of "
                "order until a speaker opens, tried every minute)",
                SPEAKER_FIX,
            )
        return Check(
            "speaker",
            WARN,
            f"{choice.error} (the installed interviews are text only: the booth runs silent)",
            SPEAKER_FIX,
        )
    chosen = f"{choice.device} ({choice.why})"
    try:
        speaker = open_pcm(choice.device)
    except SpeakerError as error:
        return Check("speaker", FAIL, f"{chosen}: {error}", SPEAKER_FIX)
    speaker.close()
    return Check("speaker", PASS, f"{chosen} opens")
