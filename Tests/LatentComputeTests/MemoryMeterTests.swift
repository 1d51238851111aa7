@testable import LatentCompute
import Testing

/// The high-water marks `latent bench sample` reports as peak_bytes.
@Suite struct MemoryMeterTests {
    @Test func theMeterKeepsTheHighWaterMarkUntilReset() {
        let meter = MemoryMeter()
        meter.allocated(100)
        meter.allocated(50)
        meter.freed(100)
        #expect(meter.usage == MemoryUsage(liveBytes: 50, peakBytes: 150))
        meter.resetPeak()
        #expect(meter.usage == MemoryUsage(liveBytes: 50, peakBytes: 50))
        meter.allocated(20)
        meter.freed(70)
        #expect(meter.usage == MemoryUsage(liveBytes: 0, peakBytes: 70))
    }

    /// Other tests allocate concurrently, so only lower bounds hold for the process-wide CPU meter.
    @Test func cpuBuffersAreCounted() throws {
        let device = CPUDevice.shared
        let bytes = 48 << 20
        var buffer: (any DeviceBuffer)? = try device.makeBuffer(byteCount: bytes)
        #expect(device.memoryUsage.liveBytes >= bytes)
        device.resetPeakMemory()
        #expect(device.memoryUsage.peakBytes >= bytes)
        buffer = nil
        #expect(buffer == nil && device.memoryUsage.peakBytes >= bytes)
    }
}
