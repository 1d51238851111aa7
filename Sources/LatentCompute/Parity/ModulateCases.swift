/// Parity registration of `modulate` (DiT's adaLN): x [batch, tokens, channels] scaled by
/// 1 + scale[n] and shifted by shift[n], per image and channel, against a Float64 reference.
/// The worked example of docs "Adding a kernel".
extension KernelRegistry {
    public static var modulateKernels: [KernelSpec] {
        let shapes = [(1, 1, 1), (2, 49, 33), (3, 17, 384), (1, 4, 1000), (5, 1, 7)]
        return [
            KernelSpec(
                .modulate, tolerance: 1e-12, benchmarks: modulateBenchmark,
                cases: shapes.enumerated().map { index, shape in
                    let (batch, tokens, channels) = shape
                    let inputs: @Sendable () -> (x: [Float], shift: [Float], scale: [Float]) = {
                        var g = ParityInputs(seed: 1100 + UInt64(index))
                        return (g.floats(batch * tokens * channels), g.floats(batch * channels), g.floats(batch * channels))
                    }
                    return KernelCase(
                        shape: "\(batch)x\(tokens)x\(channels)", referenceTolerance: 1e-12,
                        run: { device in
                            let (x, shift, scale) = inputs()
                            let out = try ParityCaseKit.buffer(device, x.count)
                            try device.modulate(
                                device.upload(x), shift: device.upload(shift), scale: device.upload(scale), out,
                                batch: batch, tokens: tokens, channels: channels)
                            return [try device.download(out, count: x.count)]
                        },
                        reference: {
                            let (x, shift, scale) = inputs()
                            return [
                                x.indices.map { i in
                                    let p = i / (tokens * channels) * channels + i % channels
                                    return Double(x[i]) * (1 + Double(scale[p])) + Double(shift[p])
                                }
                            ]
                        })
                })
        ]
    }

    /// DiT-S on 7×7 latents at batch 64: 64 images × 49 tokens × 384 channels.
    static func modulateBenchmark(_ quick: Bool) -> [BenchmarkCase] {
        let (batch, tokens, channels) = (64, 49, 384)
        let count = batch * tokens * channels
        return [
            BenchmarkCase(op: "modulate", shape: "\(batch)x\(tokens)x\(channels)", bytes: Double(8 * count)) { device in
                let x = try Tensor.randomNormal([batch, tokens, channels], seed: 1, on: device)
                let shift = try Tensor.randomNormal([batch, channels], seed: 2, on: device)
                let scale = try Tensor.randomNormal([batch, channels], seed: 3, on: device)
                let out = try Tensor.empty([batch, tokens, channels], on: device)
                return {
                    try device.modulate(
                        x.buffer, shift: shift.buffer, scale: scale.buffer, out.buffer,
                        batch: batch, tokens: tokens, channels: channels)
                }
            }
        ]
    }
}
