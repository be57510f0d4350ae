"""Assembles a kiosk around its devices: the part every booth shares, real or simulated.

The composition roots take the devices from a world and call `assemble_kiosk`: a booth's in
booth.kiosk.live, the simulator's in booth.sim.booth. Both build in one order, so that nothing is
assigned to the kiosk afterwards: first the `Inputs`, then the devices posting to them (the
buttons of `open_buttons`, the reader of `mic_reader`), then the kiosk; last the reader starts.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pygame
from gpiozero.pins import Factory

from booth.config.errors import ConfigError
from booth.config.hours import OpeningHours, is_open, next_opening
from booth.config.interview import load_interviews
from booth.config.settings import Settings
from booth.devices.buttons import Buttons
from booth.devices.level_meter import LevelMeter
from booth.devices.mic_reader import MicReader
from booth.devices.ports.microphone import Microphone
from booth.install.interviews import seal_installed_references
from booth.kiosk.effect_runner import EffectRunner
from booth.kiosk.events import EventLog, event_writer
from booth.kiosk.faults import Faults
from booth.kiosk.health import DiskGuard, Health, clear_session_bytes
from booth.kiosk.inputs import Inputs
from booth.kiosk.installed import InstalledInterviews
from booth.kiosk.light_follower import LightFollower
from booth.kiosk.loop import Devices, Kiosk, KioskParts
from booth.kiosk.recorder import Recorder, RecordingFormat
from booth.kiosk.screen import KioskScreen
from booth.kiosk.state_record import StateRecord
from booth.light.controller import LightController
from booth.media.cues import CuePlayer
from booth.media.player import ClipPlayer
from booth.media.spool import Spool
from booth.privacy.scratch import choose_scratch
from booth.privacy.seal import Sealing
from booth.session.booth_rules import BoothRules, Opening
from booth.session.clock import Clock
from booth.session.flow import Flow
from booth.session.interview import Interview
from booth.session.view import ConsentFacts
from booth.state import InvitationStore, read_lockout
from booth.sync.config import sync_settings
from booth.ui.i18n import translator
from booth.ui.renderer import Renderer

log = logging.getLogger("booth.kiosk")


def load_installed(interviews_dir: Path, sealing: Sealing | None = None) -> list:
    """The interviews in `interviews_dir`; any problem stops the start with all of them listed.

    With a `sealing` that encrypts, references installed in clear (before the booth had
    recipients) are sealed first (booth.install.interviews.seal_installed_references)."""
    seal_ref = sealing.seals_references if sealing is not None else None
    if seal_ref is not None:
        for interview_id in seal_installed_references(interviews_dir, seal_ref):
            log.info("interviews: sealed the candidate references of %s", interview_id)
    interviews, problems = load_interviews(interviews_dir)
    if problems:
        raise ConfigError(problems)
    return interviews


def sized_sealing(
    settings: Settings, interviews: list[Interview], state_dir: Path | None = None
) -> Sealing:
    """The kiosk's sealing: each session starts in the RAM scratch when it has room then for a
    whole session of the largest of `interviews` in clear, else on the card
    (booth.privacy.scratch; `booth status` and `booth doctor` say which)."""
    rec = settings.recording
    need = clear_session_bytes(interviews, rec.bitrate_bps, rec.audio_rate)
    choice = choose_scratch(settings, need)
    if settings.privacy.recipients and not choice.running_in_ram:
        log.warning("scratch: running sessions %s (fix: %s)", choice.detail, choice.fix)
    else:
        log.info("scratch: running sessions %s", choice.detail)
    return Sealing.for_settings(settings, state_dir, need)


def open_spool(
    spool_dir: Path, clock: Clock, events: EventLog, sealing: Sealing | None = None
) -> Spool:
    """The spool, after turning what a crash left behind into playable takes (sealed, with a
    `sealing` that encrypts: see booth.privacy.seal)."""
    spool = Spool(spool_dir, sealing)
    for recovered in spool.recover(clock.now()):
        events.write(
            clock.monotonic(),
            clock.now(),
            "take.recovered",
            {
                "session": recovered.session_id,
                "takes": len(recovered.takes),
                "not_kept": len(recovered.not_kept),
            },
        )
    return spool


def consent_facts(settings: Settings) -> ConsentFacts:
    """What the consent screen promises, from the settings that make it true: the sync
    agent's retention_hours, and whether finished sessions are sealed for their recipients."""
    try:
        sync = sync_settings(settings)
        retention, uploads = sync.retention_hours, bool(sync.url)
    except ConfigError as err:  # the sync agent refuses to run with it, so nothing is deleted
        log.warning("consent: [sync] cannot be read (%s); stating the default retention", err)
        retention, uploads = ConsentFacts().retention_hours, False
    # [privacy] recipients: finished sessions are sealed (age) for the organisation.
    return ConsentFacts(
        retention_hours=retention,
        encrypted=bool(settings.privacy.recipients),
        sends_by_itself=uploads,
    )


def hours_today(hours: OpeningHours, now: datetime) -> str:
    """Today's opening hours as "08:00–12:00, 13:00–17:00" ("" when always open or closed)."""
    if hours.days is None:
        return ""
    return ", ".join(
        f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}"
        for a, b in hours.days[now.weekday()]
    )


def _texts(per_language: dict[str, str]) -> dict[str, str] | str | None:
    """A [help] text: one for all languages (key ""), or one per language."""
    if "" in per_language:
        return per_language[""]
    return per_language or None


def assemble_renderer(surface: pygame.Surface, settings: Settings) -> Renderer:
    """The screens' renderer for `surface`, with the booth's help texts."""
    return Renderer(
        surface.get_size(),
        help_text=_texts(settings.help.text),
        help_phone=settings.help.phone,
        help_location=_texts(settings.help.location),
    )


@dataclass(frozen=True)
class KioskServices:
    """What a composition root gives every kiosk besides its devices: the clock; the spool,
    the state directory and events.jsonl; the clip player (on the booth's speaker); the light
    controller; the recorder's single worker (`jobs`); the installed interviews' folder, taken
    again when staff change it (None: never); a folder for a PNG of every screen shown (None:
    none)."""

    clock: Clock
    spool: Spool
    state: Path
    events: EventLog
    clips: ClipPlayer
    light_controller: LightController
    jobs: Executor
    interviews_dir: Path | None = None
    screenshots: Path | None = None


def assemble_kiosk(
    settings: Settings,
    interviews: list[Interview],
    devices: Devices,
    inputs: Inputs,
    surface: pygame.Surface,
    services: KioskServices,
) -> Kiosk:
    """The kiosk around its devices: flow, recorder, meter, health; the same for every booth.

    `devices` are built first, their buttons and microphone reader posting to `inputs`."""
    rec, state, spool, clock = settings.recording, services.state, services.spool, services.clock
    # Given the spool, the store fails closed if its record was lost (issue 24: spent stays spent).
    invitations = InvitationStore(state, spool)
    hours = settings.hours
    rules = BoothRules(
        settings.languages,
        settings.language,
        settings.timing,
        consent_facts(settings),
        Opening(
            is_open=lambda now: is_open(hours, now),
            next_opening=lambda now: next_opening(hours, now),
            today=lambda now: hours_today(hours, now),
        ),
    )
    flow = Flow(interviews, clock, rules, read_lockout(state, repair=True), invitations)
    running = spool.running_root
    recorder = Recorder(
        spool,
        # Practice takes are in clear for as long as they exist: where running sessions go
        # (hidden in the scratch folder: its other entries are running sessions).
        running / ".practice" if running != spool.root else state / "practice",
        devices.camera,
        RecordingFormat(rec.width, rec.height, rec.fps, rec.bitrate_bps, rec.audio_rate, 1),
        settings.booth_id,
        services.jobs,
    )
    meter = LevelMeter(rec.audio_rate)
    disk = DiskGuard(
        spool.root,
        interviews,
        rec.bitrate_bps,
        rec.audio_rate,
        rec.disk_margin_bytes,
        sealed=spool.sealing is not None and spool.sealing.encrypts,
    )
    health = Health(devices.camera, meter, disk, interviews, devices.mic, devices.speaker)
    clips, sound = services.clips, settings.sound
    cues = CuePlayer(clips.speaker, sound.volume / 100, clips.realtime) if sound.cues else None
    log_event = event_writer(services.events, clock)
    light = None
    if devices.light is not None:
        light = LightFollower(devices.light, services.light_controller, state)
    parts = KioskParts(
        recorder=recorder,
        effects=EffectRunner(flow, recorder, invitations, state, log_event, cues),
        faults=Faults(health, log_event),
        record=StateRecord(state, clock),
        screen=KioskScreen(
            surface,
            assemble_renderer(surface, settings),
            services.clips,
            meter,
            services.screenshots,
        ),
        clips=services.clips,
        meter=meter,
        events=services.events,
        translators=translator,
        fps=rec.fps,
        light=light,
        installed=(
            InstalledInterviews(services.interviews_dir)
            if services.interviews_dir is not None
            else None
        ),
    )
    return Kiosk(flow, devices, inputs, parts)


def open_buttons(settings: Settings, pin_factory: Factory | None, inputs: Inputs) -> Buttons:
    """The arcade buttons (and their LEDs, where wired), posting to `inputs`."""
    b = settings.devices.buttons
    leds = {"record": b.record_led, "next": b.next_led, "back": b.back_led}
    return Buttons(
        {"record": b.record, "next": b.next, "back": b.back},
        on_action=inputs.post_button,
        pin_factory=pin_factory,
        leds={name: pin for name, pin in leds.items() if pin is not None},
    )


def mic_reader(mic: Microphone, inputs: Inputs) -> MicReader:
    """The reader thread of `mic`, posting its chunks to `inputs` once started (after the
    kiosk is built: the sound of a frame belongs to that frame)."""
    return MicReader(mic, on_chunk=inputs.on_audio)
