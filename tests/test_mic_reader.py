"""The microphone reader thread on real ALSA (pyalsaaudio on the `file` PCM virtual microphone),
paced by a producer thread as a sound card paces its periods."""

import errno
import queue
import threading
import time

import numpy as np
import pytest

from booth.devices.mic_reader import MicReader
from booth.devices.microphone import AlsaMicrophone
from booth.devices.ports.microphone import AudioChunk
from booth.sim.alsa_config import install_alsa_config
from booth.sim.virtual_mic import PCM_NAME, MicStream, VirtualMic
from booth.sim.voice import Voice

RATE = 48_000
PERIOD = 1600


@pytest.fixture
def vmic(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # restored after the test
    v = VirtualMic(tmp_path, Voice(seed=5), MicStream(rate=RATE, period_frames=PERIOD))
    install_alsa_config(v.directory, v.asoundrc)
    yield v
    v.close()


@pytest.fixture
def mic(vmic):
    return AlsaMicrophone(PCM_NAME, rate=RATE, period_frames=PERIOD)


@pytest.fixture
def readers(vmic):
    """Makes started readers; stops each at the end and only then closes its microphone (a PCM
    closed under a blocked read crashes alsa-lib)."""
    made: list[MicReader] = []

    def start(mic: AlsaMicrophone, on_chunk) -> MicReader:
        made.append(MicReader(mic, on_chunk).start())
        return made[-1]

    yield start
    for reader in made:
        stop(reader, vmic)
        reader.close()


def stop(reader: MicReader, vmic: VirtualMic) -> bool:
    """Stop a reader that may be blocked waiting for sound: the virtual card delivers one more
    period, as a real one does every 33 ms."""
    if reader.stop(timeout=0.05):
        return True
    vmic.produce(PERIOD)
    return reader.stop()


class Sound:
    """A producer thread delivering one period every `interval_s`, like a sound card."""

    def __init__(self, vmic: VirtualMic, periods: int, interval_s: float = 0.004) -> None:
        self.thread = threading.Thread(target=self._run, args=(vmic, periods, interval_s))
        self.thread.start()

    @staticmethod
    def _run(vmic: VirtualMic, periods: int, interval_s: float) -> None:
        for _ in range(periods):
            vmic.produce(PERIOD)
            time.sleep(interval_s)

    def join(self) -> None:
        self.thread.join(10)


def collect(chunks: queue.Queue, count: int) -> list[AudioChunk]:
    return [chunks.get(timeout=5) for _ in range(count)]


def test_every_period_is_handed_on_in_order_with_a_monotonic_time(vmic, mic, readers):
    chunks: queue.Queue[AudioChunk] = queue.Queue()
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    reader = readers(mic, chunks.put)
    Sound(vmic, 30).join()
    got = collect(chunks, 30)
    assert stop(reader, vmic)
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC)

    audio = np.concatenate([c.samples[:, 0] for c in got])
    expected = np.rint(vmic.voice.samples(0, 30 * PERIOD) * 32767).astype(np.int16)
    assert np.array_equal(audio, expected)
    assert reader.chunks == 30 and chunks.empty()
    # htimestamp() on CLOCK_MONOTONIC; ALSA's null device counts its whole buffer as waiting,
    # so the first-sample time may lie up to a buffer's length before the read.
    assert all(before - 1_000_000_000 < c.timestamp_ns < after for c in got)


@pytest.mark.slow
def test_stop_ends_the_thread_and_nothing_arrives_after_it(vmic, mic, readers):
    chunks: queue.Queue[AudioChunk] = queue.Queue()
    reader = readers(mic, chunks.put)
    sound = Sound(vmic, 300)  # over a second of periods
    collect(chunks, 5)
    assert reader.stop()  # periods keep coming, so the read in progress returns at once
    assert not reader.running
    handed = reader.chunks
    sound.join()
    time.sleep(0.05)
    assert reader.chunks == handed


def test_stop_while_the_sound_card_is_silent_waits_for_the_next_period(vmic, mic, readers):
    reading = threading.Event()
    read = mic.read

    def read_and_tell(*args, **kwargs):
        reading.set()
        return read(*args, **kwargs)

    mic.read = read_and_tell
    reader = readers(mic, lambda chunk: None)
    assert reading.wait(timeout=10)  # blocked in a read: nothing captured yet
    assert not reader.stop(timeout=0.1)
    vmic.produce(PERIOD)  # a real card delivers a period every 33 ms
    assert reader.stop()
    assert reader.chunks == 0  # the period that woke it up came after stop()


class OverrunningMicrophone(AlsaMicrophone):
    """The real AlsaMicrophone, given pyalsaaudio 0.11's exact overrun result (length -EPIPE, no
    data) on some reads: no software ALSA device can overflow its buffer."""

    def __init__(self, *args, overrun_every: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.overrun_every = overrun_every
        self.reads = 0

    def read(self):
        self.reads += 1
        if self.reads % self.overrun_every == 0:
            return self.take(-errno.EPIPE, b"")
        return super().read()


def test_overruns_are_counted_and_reading_goes_on(vmic, readers):
    mic = OverrunningMicrophone(PCM_NAME, rate=RATE, period_frames=PERIOD, overrun_every=4)
    chunks: queue.Queue[AudioChunk] = queue.Queue()
    reader = readers(mic, chunks.put)
    sound = Sound(vmic, 20)
    collect(chunks, 20)
    sound.join()
    assert stop(reader, vmic)
    assert reader.overruns >= 5 and reader.fault is None
    assert reader.chunks == 20


def test_a_failing_chunk_handler_does_not_stop_the_microphone(vmic, mic, readers, caplog):
    chunks: queue.Queue[AudioChunk] = queue.Queue()

    def flaky(chunk: AudioChunk) -> None:
        if chunks.qsize() == 2:
            chunks.put(chunk)
            raise RuntimeError("meter bug")
        chunks.put(chunk)

    reader = readers(mic, flaky)
    Sound(vmic, 10).join()
    collect(chunks, 10)
    assert stop(reader, vmic) and reader.fault is None
    assert "handler failed" in caplog.text


def test_a_microphone_that_stops_delivering_sets_a_fault_for_staff(vmic, mic, readers):
    mic._pcm.close()  # the USB microphone was pulled out: every read now fails
    reader = readers(mic, lambda chunk: None)
    reader._thread.join(5)
    assert not reader.running
    assert reader.fault is not None and PCM_NAME in reader.fault
