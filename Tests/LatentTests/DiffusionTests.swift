import Foundation
import LatentCompute
import Testing
@testable import Latent

/// The tiny reference U-Net of tools/make_unet_fixtures.py (unet_tiny.safetensors).
enum TinyUNetFixture {
    static let configuration = UNetConfiguration(
        inChannels: 1, channels: 32, channelMultipliers: [1, 1], resBlocks: 1,
        attentionResolutions: [4], dropout: 0.1, resolution: 8, numClasses: 10,
        normGroups: 8)

    static func file() throws -> SafeTensors { try SafeTensors.read(fixture("unet_tiny.safetensors")) }

    /// The weights (every tensor not named "fixture.*"), by PyTorch name.
    static func weights(_ file: SafeTensors) throws -> [String: (shape: [Int], values: [Float])] {
        var weights: [String: (shape: [Int], values: [Float])] = [:]
        for (name, tensor) in file.tensors where !name.hasPrefix("fixture.") {
            weights[name] = (tensor.shape, try tensor.floats())
        }
        return weights
    }

    /// The U-Net with the fixture's weights, in eval mode.
    static func unet(on device: any Device, file: SafeTensors? = nil) throws -> UNet {
        let file = try file ?? self.file()
        let unet = try UNet(configuration, initializer: ParameterInitializer(seed: 5, device: device))
        try unet.load(weights(file))
        unet.eval()
        return unet
    }
}

/// max |a − b| / max |b|: the error relative to the reference's scale.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = b.map { Swift.abs($0) }.max() ?? 0
    return zip(a, b).map { Swift.abs($0 - $1) }.max().map { $0 / Swift.max(scale, 1e-30) } ?? 0
}

func timesteps(_ tensor: SafeTensor?) throws -> [Int] { try #require(tensor).int32s().map(Int.init) }

@Suite struct DiffusionScheduleTests {
    /// Float32 values printed by the reference (torch 2.x, `GaussianDiffusion()`, as in python/latent_torch) at
    /// t = 0, 1, 499, 998, 999, with `repr(float(a[i]))`.
    @Test func linearScheduleMatchesTheReference() throws {
        let s = try NoiseSchedule(.ho2020, timesteps: 1000)
        let at = [0, 1, 499, 998, 999]
        let expected: [(KeyPath<NoiseSchedule, [Float]>, [Float])] = [
            (\.betas, [9.999999747378752e-05, 0.00011991991777904332, 0.010040040127933025, 0.01998008042573929, 0.019999999552965164]),
            (\.alphasCumprod, [0.9998999834060669, 0.9997801184654236, 0.07858724147081375, 4.118193464819342e-05, 4.0358296246267855e-05]),
            (\.alphasCumprodPrevious, [1.0, 0.9998999834060669, 0.07938426733016968, 4.202152922516689e-05, 4.118193464819342e-05]),
            (\.sqrtAlphasCumprod, [0.9999499917030334, 0.9998900294303894, 0.2803341746330261, 0.006417315453290939, 0.006352818105369806]),
            (\.sqrtOneMinusAlphasCumprod, [0.009999999776482582, 0.014829292893409729, 0.9599024653434753, 0.9999794363975525, 0.9999797940254211]),
            (\.posteriorVariance, [0.0, 5.45318762306124e-05, 0.010031355544924736, 0.019980063661932945, 0.01999998278915882]),
            (\.posteriorMeanCoefficientX0, [1.0, 0.5452914834022522, 0.003070071106776595, 0.00012952424003742635, 0.00012835148663725704]),
            (\.posteriorMeanCoefficientXt, [0.0, 0.4547084867954254, 0.994106650352478, 0.9899587035179138, 0.9899486899375916]),
        ]
        for (path, values) in expected {
            let got = at.map { s[keyPath: path][$0] }
            // Same float64 algorithm as torch (linspace, cumprod), rounded once: equal, allow 1 ulp.
            for (g, e) in zip(got, values) { #expect(Swift.abs(g - e) <= e.ulp, "\(path): \(got) vs \(values)") }
        }
        // log β̃ with its t = 0 entry replaced by log β̃_1 (math.log of posterior_var[1] = -9.816725142308258).
        #expect(Swift.abs(s.posteriorLogVarianceClipped[0] - -9.816725) < 1e-5)
        #expect(s.posteriorLogVarianceClipped[0] == s.posteriorLogVarianceClipped[1])
    }

    /// numpy float64 of improved-diffusion's formula (β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999), s = 0.008), cast to float32.
    @Test func cosineScheduleMatchesNumpy() throws {
        let s = try NoiseSchedule(.nicholDhariwal, timesteps: 1000)
        let at = [0, 1, 499, 998, 999]
        let betas: [Float] = [4.128422369831242e-05, 4.614175122696906e-05, 0.003145886119455099, 0.7499994039535522, 0.9990000128746033]
        let alphaBar: [Float] = [0.9999586939811707, 0.9999125599861145, 0.49384358525276184, 2.4287669475597795e-06, 2.428766965323348e-09]
        for (i, t) in at.enumerated() {
            #expect(Swift.abs(s.betas[t] - betas[i]) <= 4 * betas[i].ulp, "beta[\(t)] \(s.betas[t])")
            #expect(Swift.abs(s.alphasCumprod[t] - alphaBar[i]) <= 4 * alphaBar[i].ulp, "alphaBar[\(t)] \(s.alphasCumprod[t])")
        }
        #expect(s.betas.max() == Float(0.999))
    }

    @Test func samplerTimestepListsAreExplicit() throws {
        // Reference: list(range(0, 1000, 1000 // 50)) = 0, 20, …, 980.
        #expect(try TimestepSequence.uniform(steps: 50, of: 1000).ascending == Array(stride(from: 0, to: 1000, by: 20)))
        #expect(try TimestepSequence.uniform(steps: 1000, of: 1000).ascending == Array(0..<1000))
        // range(0, 1000, 142) would give 8 steps; exactly 7: ⌊i·1000/7⌋.
        let seven = try TimestepSequence.uniform(steps: 7, of: 1000)
        #expect(seven.ascending == [0, 142, 285, 428, 571, 714, 857])
        #expect(seven.iterations.map(\.t) == [857, 714, 571, 428, 285, 142, 0])
        #expect(seven.iterations.map(\.previous) == [714, 571, 428, 285, 142, 0, -1])
        let many = try TimestepSequence.uniform(steps: 999, of: 1000)
        #expect(many.count == 999 && Set(many.ascending).count == 999 && many.ascending.last == 998)
        #expect(many.iterations.allSatisfy { $0.previous < $0.t })
        #expect(try TimestepSequence.full(10).iterations.first! == (9, 8))
        #expect(throws: DiffusionError.self) { try TimestepSequence.uniform(steps: 1001, of: 1000) }
    }
}

@Suite struct UNetReferenceTests {
    @Test func fmnistSmallHasTheReferenceNamesShapesAndCount() throws {
        let lines = try String(contentsOfFile: fixture("unet_fmnist_small_keys.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let expected = lines.filter { !$0.hasPrefix("#") }
        let unet = try UNet(.fmnistSmall(numClasses: 10), initializer: ParameterInitializer(seed: 0, device: CPUDevice.shared))
        let got = unet.namedParameters().map { "\($0.0) \($0.1.shape.map(String.init).joined(separator: "x"))" }
        #expect(got == expected)
        #expect(lines.last == "# parameters 6469889")
        let unconditional = try UNet(.fmnistSmall(), initializer: ParameterInitializer(seed: 0, device: CPUDevice.shared))
        #expect(unconditional.parameterCount == 6_469_889)
        #expect(!unconditional.namedParameters().contains { $0.0.hasPrefix("class_emb") })
        // Zero-initialised like the reference: conv2 of every ResBlock, proj_out, conv_out.
        for (name, tensor) in unconditional.namedParameters()
        where name.contains("conv2.") || name.contains("proj_out.") || name.hasPrefix("conv_out.") {
            #expect(try tensor.toArray().allSatisfy { $0 == 0 }, "\(name)")
        }
        // The DDPM model exposes the same names, unprefixed.
        let model = try DDPMModel(configJSON: "{}", device: CPUDevice.shared, seed: 1)
        #expect(model.namedParameters().map(\.0) == unconditional.namedParameters().map(\.0))
    }

    @Test func tinyUNetMatchesPyTorch() throws {
        let file = try TinyUNetFixture.file()
        let unet = try TinyUNetFixture.unet(on: CPUDevice.shared, file: file)
        let x = try file["fixture.x"]!.tensor(on: CPUDevice.shared)
        let t = try timesteps(file["fixture.t"])
        let y = try file["fixture.y"]!.tensor(on: CPUDevice.shared)
        let conditional = try unet(x, timesteps: t, labels: y).toArray()
        let unconditional = try unet(x, timesteps: t).toArray()
        let expectedConditional = try file["fixture.eps_cond"]!.floats()
        let expectedUnconditional = try file["fixture.eps_uncond"]!.floats()
        #expect(maxRelativeError(conditional, expectedConditional) < 1e-4)
        #expect(maxRelativeError(unconditional, expectedUnconditional) < 1e-4)
        // The labels matter (so the comparison above is not vacuous for the class embedding).
        #expect(maxRelativeError(conditional, expectedUnconditional) > 1e-2)
    }

    @Test func tinyUNetLossAndGradientsMatchPyTorch() throws {
        let file = try TinyUNetFixture.file()
        let device = CPUDevice.shared
        let unet = try TinyUNetFixture.unet(on: device, file: file)
        let diffusion = try GaussianDiffusion()
        let loss = try diffusion.denoisingLoss(
            unet, x0: file["fixture.loss_x0"]!.tensor(on: device), timesteps: timesteps(file["fixture.loss_t"]),
            noise: file["fixture.loss_noise"]!.tensor(on: device), labels: file["fixture.loss_y"]!.tensor(on: device))
        let expected = try file["fixture.loss"]!.floats()[0]
        #expect(Swift.abs(try loss.item() - expected) / expected < 1e-4)
        let gradients = try loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: unet.namedParameters())
        for (name, reference) in file.tensors where name.hasPrefix("fixture.grad.") {
            let parameter = try #require(parameters[String(name.dropFirst("fixture.grad.".count))])
            let g = try #require(gradients[parameter], "\(name)").toArray()
            #expect(maxRelativeError(g, try reference.floats()) < 1e-3, "\(name)")
        }
    }
}

@Suite struct DiffusionSamplerTests {
    /// The reference samplers with injected noise (diffusion_samplers.safetensors) against ours with the same noise.
    @Test func samplersMatchTheReferenceWithTheSameNoise() throws {
        let device = CPUDevice.shared
        let unet = try TinyUNetFixture.unet(on: device)
        let file = try SafeTensors.read(fixture("diffusion_samplers.safetensors"))
        func rows(_ name: String) throws -> SamplerNoise {
            let noise = try file[name]!.floats(), shape = file[name]!.shape
            let size = shape.dropFirst().reduce(1, *)
            return { slot, requested, device in
                #expect(requested == Array(shape.dropFirst()))
                return try Tensor(Array(noise[(slot * size)..<((slot + 1) * size)]), shape: requested, on: device)
            }
        }
        let shape = [3, 1, 8, 8]
        var steps: [Int] = []
        let ddim = try GaussianDiffusion().sample(
            unet, shape: shape, labels: file["ddim_y"]!.int32s(),
            options: SamplerOptions(method: .ddim(steps: 5, eta: 0.5), guidanceScale: 2, clipDenoised: false), noise: rows("ddim_noise"),
            progress: { steps.append($0.timestep) })
        #expect(steps == [800, 600, 400, 200, 0])
        #expect(maxRelativeError(try ddim.toArray(), try file["ddim_out"]!.floats()) < 1e-4)

        let small = try GaussianDiffusion(DiffusionConfiguration(timesteps: 10))
        let ddpm = try small.sample(
            unet, shape: shape, labels: file["ddpm_y"]!.int32s(),
            options: SamplerOptions(method: .ddpm(variance: .posterior)), noise: rows("ddpm_noise"),
            progress: nil)
        #expect(maxRelativeError(try ddpm.toArray(), try file["ddpm_out"]!.floats()) < 1e-4)
        let ddpmBeta = try small.sample(
            unet, shape: shape, labels: file["ddpm_y"]!.int32s(),
            options: SamplerOptions(method: .ddpm(variance: .beta), guidanceScale: 1),
            noise: rows("ddpm_noise"), progress: nil)
        #expect(maxRelativeError(try ddpmBeta.toArray(), try file["ddpm_beta_out"]!.floats()) < 1e-4)
    }

    @Test func variationalBoundMatchesTheReferenceTerms() throws {
        let unet = try TinyUNetFixture.unet(on: CPUDevice.shared)
        let file = try SafeTensors.read(fixture("diffusion_samplers.safetensors"))
        let noise = try file["vlb_noise"]!.floats()
        let size = 2 * 64
        let small = try GaussianDiffusion(DiffusionConfiguration(timesteps: 10))
        var reported: [Int] = []
        let terms = try small.variationalBound(
            unet, images: file["vlb_x0"]!.floats(), shape: [2, 1, 8, 8], labels: file["vlb_y"]!.int32s(),
            options: VariationalBoundOptions(),
            noise: { slot, shape, device in
                try Tensor(Array(noise[(slot * size)..<((slot + 1) * size)]), shape: shape, on: device)
            }, progress: { step, _ in reported.append(step) })
        #expect(reported == Array(1...10))
        let prior = try file["vlb_prior"]!.floats().map(Double.init).reduce(0, +)
        #expect(Swift.abs(terms.priorNats - prior) / prior < 1e-5)
        let reference = try file["vlb_terms"]!.floats()  // [10, 2]
        for t in 0..<10 {
            let expected = Double(reference[2 * t] + reference[2 * t + 1])
            #expect(Swift.abs(terms.perTimestepNats[t] - expected) / expected < 1e-3, "t = \(t): \(terms.perTimestepNats[t]) vs \(expected)")
        }
        #expect(terms.images == 2 && terms.dimensions == 64)
        let total = (terms.priorNats + terms.perTimestepNats.reduce(0, +)) / (128 * M_LN2)
        #expect(Swift.abs(terms.bitsPerDim - total) < 1e-9 && terms.bitsPerDim > 0)
    }

    @Test func samplingNoiseDoesNotDependOnBatchSplitting() throws {
        let unet = try TinyUNetFixture.unet(on: CPUDevice.shared)
        let diffusion = try GaussianDiffusion()
        let options = SamplerOptions(method: .ddim(steps: 3, eta: 1), seed: 42)
        let all = try diffusion.sample(unet, count: 4, labels: [1, 2, 3, 4], options: options).toArray()
        var second = options
        second.firstImageIndex = 2
        let tail = try diffusion.sample(unet, count: 2, labels: [3, 4], options: second).toArray()
        #expect(maxRelativeError(tail, Array(all[128...])) < 1e-5)
        var other = options
        other.seed = 43
        #expect(maxRelativeError(try diffusion.sample(unet, count: 4, labels: [1, 2, 3, 4], options: other).toArray(), all) > 1e-2)
    }

    /// stopAfter runs a prefix of the chain (what `latent bench sample` times of the 1000-step DDPM).
    @Test func stopAfterRunsOnlyTheFirstIterations() throws {
        let unet = try TinyUNetFixture.unet(on: CPUDevice.shared)
        let diffusion = try GaussianDiffusion()
        let labels: [Int32] = [1, 2]
        func run(_ stop: Int?) throws -> ([Float], [Int]) {
            var steps: [Int] = []
            let options = SamplerOptions(method: .ddim(steps: 4, eta: 0), seed: 5, stopAfter: stop)
            let x = try diffusion.sample(unet, count: 2, labels: labels, options: options) { steps.append($0.step) }
            return (try x.toArray(), steps)
        }
        let (full, allSteps) = try run(nil)
        let (two, twoSteps) = try run(2)
        #expect(allSteps == [1, 2, 3, 4] && twoSteps == [1, 2])
        #expect(try run(4).0 == full)
        #expect(maxRelativeError(two, full) > 1e-2)
        #expect(throws: DiffusionError.self) { try run(0) }
    }

    @Test func vPredictionRecoversNoiseAndData() throws {
        let device = CPUDevice.shared
        let diffusion = try GaussianDiffusion(DiffusionConfiguration(prediction: .v))
        let x0 = try Tensor.randomUniform([2, 1, 4, 4], seed: 1, on: device).affine(scale: 2, shift: -1)
        let noise = try Tensor.randomNormal([2, 1, 4, 4], seed: 2, on: device)
        for t in [0, 300, 999] {
            let xt = try diffusion.qSample(x0, timesteps: [t, t], noise: noise)
            let v = try diffusion.target(x0: x0, noise: noise, timesteps: [t, t])
            let (epsilon, x0Hat) = try diffusion.epsilonAndX0(output: v, xt: xt, t: t)
            #expect(maxRelativeError(try epsilon.toArray(), try noise.toArray()) < 1e-4)
            #expect(maxRelativeError(try x0Hat.toArray(), try x0.toArray()) < 1e-4)
        }
    }
}

@Suite struct DiffusionDeviceParityTests {
    static func openCL() throws -> any Device { try DeviceSelection.resolve(.opencl) }

    @Test func ddimSamplingIsTheSameOnCPUAndOpenCL() throws {
        let gpu = try Self.openCL()
        let options = SamplerOptions(method: .ddim(steps: 4, eta: 0.5), guidanceScale: 1.5, seed: 7)
        let diffusion = try GaussianDiffusion()
        let cpu = try diffusion.sample(TinyUNetFixture.unet(on: CPUDevice.shared), count: 2, labels: [0, 10], options: options)
        let other = try diffusion.sample(TinyUNetFixture.unet(on: gpu), count: 2, labels: [0, 10], options: options)
        let (a, b) = (try cpu.toArray(), try other.toArray())
        #expect(zip(a, b).map { Swift.abs($0 - $1) }.max()! < 1e-3)
    }

    @Test func trainingStepIsTheSameOnCPUAndOpenCL() throws {
        let gpu = try Self.openCL()
        let configuration = DDPMConfiguration(
            unet: TinyUNetFixture.configuration,
            diffusion: DiffusionConfiguration(unconditionalProbability: 0.5))
        let file = try TinyUNetFixture.file()
        func step(_ device: any Device) throws -> (Float, [String: [Float]]) {
            // The fixture's non-zero weights: with the zero-initialised conv_out every other gradient is 0.
            let model = try DDPMModel(configuration, initializer: ParameterInitializer(seed: 3, device: device))
            try model.load(TinyUNetFixture.weights(file))
            let images = try Tensor.randomUniform([4, 1, 8, 8], seed: 9, on: device).affine(scale: 2, shift: -1)
            let labels = try Tensor(indices: [1, 2, 3, 4], shape: [4], on: device)
            let loss = try model.trainingLoss(images: images, labels: labels, noise: NoiseStream(seed: 11)).loss
            let gradients = try loss.backward()
            var result: [String: [Float]] = [:]
            for (name, p) in model.namedParameters() { result[name] = try gradients[p]?.toArray() }
            return (try loss.item(), result)
        }
        let (cpuLoss, cpuGradients) = try step(CPUDevice.shared)
        let (gpuLoss, gpuGradients) = try step(gpu)
        #expect(Swift.abs(cpuLoss - gpuLoss) / cpuLoss < 1e-4)
        #expect(cpuGradients.count == gpuGradients.count && cpuGradients.count > 100)
        for (name, g) in cpuGradients {
            let other = try #require(gpuGradients[name])
            // Absolute floor: the attention key biases have an exactly zero gradient in exact arithmetic
            // (softmax is invariant to a per-query constant), so both backends report rounding noise there.
            let scale = g.map { Swift.abs($0) }.max() ?? 0
            let error = zip(other, g).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(error <= 1e-3 * scale + 1e-6, "\(name): \(error) at scale \(scale)")
        }
    }
}
