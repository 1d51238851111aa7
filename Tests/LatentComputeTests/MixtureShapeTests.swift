@testable import LatentCompute
import Testing

/// The mixture kernels' shared argument checks (`MixtureShape.validate`): the same error on both
/// backends for a negative size and for a buffer smaller than its operand.
@Suite struct MixtureShapeTests {
    static func devices() throws -> [any Device] { [CPUDevice.shared, try DeviceSelection.resolve(.opencl)] }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func aTooSmallBufferIsRejectedAlikeOnBothBackends() throws {
        var messages: [String] = []
        for device in try Self.devices() {
            let (n, k, d) = (6, 2, 3)
            let x = try device.upload([Float](repeating: 1, count: n * d))
            let weights = try device.upload([Float](repeating: 1, count: n * k))
            let short = try device.upload([Float](repeating: 0, count: k * (d + 1) - 1))
            messages.append(
                Self.message { try device.gaussianMoments(x, weights: weights, short, count: n, components: k, dimension: d) })
            // The same call with a large enough buffer sums [x, 1] with unit weights: n·1 and n.
            let out = try device.upload([Float](repeating: 0, count: k * (d + 1)))
            try device.gaussianMoments(x, weights: weights, out, count: n, components: k, dimension: d)
            #expect(try device.download(out, count: k * (d + 1)) == [Double](repeating: Double(n), count: k * (d + 1)))
        }
        #expect(messages[0].contains("gaussianMoments: the out buffer holds 7 floats, needs 8"), "\(messages[0])")
        #expect(messages[0] == messages[1])
    }

    @Test func aNegativeSizeIsRejectedAlikeOnBothBackends() throws {
        var messages: [String] = []
        for device in try Self.devices() {
            let buffer = try device.upload([Float](repeating: 0, count: 4))
            messages.append(
                Self.message {
                    try device.gaussianLogDensity(
                        buffer, means: buffer, precisions: buffer, offsets: buffer, buffer, count: -1, components: 1, dimension: 1)
                })
            messages.append(
                Self.message { try device.gaussianScatter(buffer, weights: buffer, means: buffer, buffer, count: 1, components: -2, dimension: 1) })
        }
        #expect(messages[0].contains("gaussianLogDensity: negative size (-1, 1, 1)"), "\(messages[0])")
        #expect(messages[1].contains("gaussianScatter: negative size (1, -2, 1)"), "\(messages[1])")
        #expect(Array(messages[0..<2]) == Array(messages[2..<4]))
    }
}
