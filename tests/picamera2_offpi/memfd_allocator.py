"""A picamera2 allocator backed by memfd, for a kernel without DMA heaps.

picamera2's default `DmaAllocator` takes buffers from /dev/dma_heap (the Pi's CMA heap), which
this test machine's kernel does not have, and libcamera's virtual pipeline handler exports none
either (it wants a DMA heap or udmabuf too). This allocator does the one kernel-dependent part
differently: each buffer is a memfd instead of a DMA heap buffer. What picamera2 does with the
buffers (mapping, `MappedArray`, `make_array`, the encoders) is its own code, unchanged.

Two differences from `DmaAllocator`, both forced by the facts:
- one `FrameBuffer.Plane` per plane of the format, all in the one memfd at their offsets:
  libcamera's frame generator writes each plane through `planes()[i]` (a DMA heap buffer given
  as one plane is split into planes by the Pi's ISP driver instead);
- no DMA_BUF_IOCTL_SYNC around CPU access: a memfd has no cache to sync (the ioctl is ENOTTY).
  Like `DmaAllocator.DmaSync`, `MemfdSync` hands out the buffer's mapping made at allocation
  (picamera2's base `Sync` maps `planes[0]` anew and insists all planes share one fd number,
  but libcamera keeps a duplicate of the fd per plane).
"""

from __future__ import annotations

import mmap
import os
from typing import Any

import libcamera
from picamera2.allocators.allocator import Allocator, Sync


class MemfdSync(Sync):
    """CPU access to one buffer: its mapping, as `DmaAllocator.DmaSync` gives it, unsynced."""

    def __init__(self, allocator: MemfdAllocator, fb: Any, write: bool) -> None:
        self._memory = allocator.mapped_buffers[fb]

    def __enter__(self) -> mmap.mmap:
        return self._memory

    def __exit__(self, *_exc: object) -> None:
        pass


class MemfdAllocator(Allocator):
    def __init__(self) -> None:
        super().__init__()
        self.sync = MemfdSync
        self.frame_buffers: dict[Any, list[Any]] = {}
        self.mapped_buffers: dict[Any, mmap.mmap] = {}
        self._fds: list[int] = []

    def allocate(self, libcamera_config: Any, _use_case: Any) -> None:
        self.close()
        for stream_config in libcamera_config:
            stream = stream_config.stream
            size = stream_config.frame_size
            # The planes one after the other: luma (stride × height), then NV12's one
            # interleaved chroma plane, or YUV420's U and V (half the stride, half the rows).
            luma = stream_config.stride * stream_config.size.height
            if str(stream_config.pixel_format) == "YUV420":
                chroma = luma // 4
                layout = ((0, luma), (luma, chroma), (luma + chroma, chroma))
            else:
                layout = ((0, luma), (luma, size - luma))
            buffers = []
            for i in range(stream_config.buffer_count):
                fd = os.memfd_create(f"picamera2-{i}", os.MFD_CLOEXEC)
                os.ftruncate(fd, size)
                self._fds.append(fd)
                planes = []
                for offset, length in layout:
                    plane = libcamera.FrameBuffer.Plane()
                    plane.fd, plane.offset, plane.length = fd, offset, length
                    planes.append(plane)
                buffer = libcamera.FrameBuffer(planes)
                self.mapped_buffers[buffer] = mmap.mmap(fd, size, mmap.MAP_SHARED)
                buffers.append(buffer)
            self.frame_buffers[stream] = buffers

    def buffers(self, stream: Any) -> list[Any]:
        return self.frame_buffers[stream]

    def close(self) -> None:
        for memory in self.mapped_buffers.values():
            memory.close()
        for fd in self._fds:
            os.close(fd)
        self.mapped_buffers, self.frame_buffers, self._fds = {}, {}, []
