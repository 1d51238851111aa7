import Foundation
import LatentCompute
import Testing
@testable import Latent

/// The exact denoiser of data x₀ ~ N(μ, s²) (every element independent), in the ε or v parametrisation:
/// E[x₀ | x_t] = μ + g·(x_t − aμ) with g = a·s²/(a²s² + b²), a = √ᾱ_t, b = √(1 − ᾱ_t). Its probability-flow
/// ODE is solvable: in x̃ = x/a, σ̃ = b/a, x̃(σ̃) − μ ∝ √(s² + σ̃²).
final class GaussianDataDenoiser: Module, DiffusionDenoiser {
    let device: any Device = CPUDevice.shared
    let nullClass: Int? = nil
    let inputShape = [1, 2, 2]
    let outputChannels = 1
    let schedule: NoiseSchedule
    let prediction: PredictionTarget
    let mean: Double
    let std: Double

    init(_ diffusion: GaussianDiffusion, mean: Double, std: Double) {
        schedule = diffusion.schedule
        prediction = diffusion.configuration.prediction
        self.mean = mean
        self.std = std
    }

    func callAsFunction(_ x: Tensor, timesteps: [Int], labels: Tensor?, nullMask: Tensor?, dropoutNoise: NoiseStream?) throws -> Tensor {
        let t = timesteps[0]
        precondition(timesteps.allSatisfy { $0 == t }, "the samplers call with one timestep per batch")
        let a = schedule.alphasCumprod64[t].squareRoot(), b = (1 - schedule.alphasCumprod64[t]).squareRoot()
        let gain = a * std * std / (a * a * std * std + b * b)
        // x̂₀ = gain·x + c, ε̂ = (x − a·x̂₀)/b, v̂ = a·ε̂ − b·x̂₀: all affine in x.
        let (x0Scale, x0Shift) = (gain, mean * (1 - a * gain))
        let (epsilonScale, epsilonShift) = ((1 - a * x0Scale) / b, -a * x0Shift / b)
        switch prediction {
        case .epsilon: return try x.affine(scale: Float(epsilonScale), shift: Float(epsilonShift))
        case .v:
            return try x.affine(scale: Float(a * epsilonScale - b * x0Scale), shift: Float(a * epsilonShift - b * x0Shift))
        }
    }
}

@Suite struct ODESamplerTests {
    static let (mean, std) = (0.3, 0.5)

    /// |x − exact ODE solution| (largest over the elements) after `steps` Karras steps from x_T = the seed's
    /// noise, or after the first `stop` of them (x then is at the grid's point `stop`, in VP form).
    static func error(
        _ solver: ODESolver, steps: Int, prediction: PredictionTarget = .epsilon, std: Double = std, stop: Int? = nil
    ) throws -> Double {
        let diffusion = try GaussianDiffusion(DiffusionConfiguration(prediction: prediction))
        let denoiser = GaussianDataDenoiser(diffusion, mean: mean, std: std)
        let options = SamplerOptions(method: .ode(solver, steps: steps), clipDenoised: false, seed: 3, stopAfter: stop)
        let x = try diffusion.sample(denoiser, count: 2, options: options).toArray()
        let noise = try Tensor.randomNormal([2, 1, 2, 2], seed: 3, offset: options.noiseOffset(slot: 0, imageSize: 4), on: CPUDevice.shared)
        let grid = try diffusion.schedule.sigmaGrid(steps: steps, spacing: .karras)
        let (start, end) = (grid[0], grid[stop ?? steps])
        let shrink = ((std * std + end.veSigma * end.veSigma) / (std * std + start.veSigma * start.veSigma)).squareRoot()
        let exact = try noise.toArray().map { end.alpha * (mean + (Double($0) / start.alpha - mean) * shrink) }
        return zip(x, exact).map { Swift.abs(Double($0) - $1) }.max()!
    }

    /// Doubling the steps halves Euler's error and quarters Heun's and DPM-Solver++(2M)'s (ratios from
    /// 20 to 40 steps, in Float64: 1.97, 4.54, 4.54), and all three land near the exact answer.
    @Test(arguments: [(ODESolver.euler, 1), (.heun, 2), (.dpmSolverPlusPlus2M, 2)])
    func errorFallsAtTheSolversOrder(_ solver: ODESolver, order: Int) throws {
        let (coarse, fine) = (try Self.error(solver, steps: 20), try Self.error(solver, steps: 40))
        let ratio = coarse / fine
        if order == 1 { #expect(ratio > 1.6 && ratio < 2.5, "\(solver): \(coarse) → \(fine)") }
        if order == 2 { #expect(ratio > 3.5, "\(solver): \(coarse) → \(fine)") }
        #expect(fine < 0.1)
    }

    /// Data that is a single point (s = 0): x̂₀ is constant, the ODE's path is a straight line in x/α,
    /// and every solver stays on it, from either parametrisation (checked at the last model point, t = 0,
    /// before the final step, which returns x̂₀ whatever x is).
    @Test(arguments: ODESolver.allCases)
    func singlePointDataKeepsEverySolverOnTheExactPath(_ solver: ODESolver) throws {
        for steps in [3, 6] {
            // ε̂ → x̂₀ = (x − √(1−ᾱ)·ε̂)/√ᾱ cancels ~157x in Float at t = 999 (Heun, 3 steps: 1.2e-4 off);
            // v̂ → x̂₀ does not. A wrong coefficient is off by O(1).
            #expect(try Self.error(solver, steps: steps, std: 0, stop: steps - 1) < 1e-3)
            #expect(try Self.error(solver, steps: steps, prediction: .v, std: 0, stop: steps - 1) < 1e-4)
        }
    }

    /// A v-prediction network reaches the same samples (the samplers convert v to x̂₀).
    @Test(arguments: ODESolver.allCases)
    func vPredictionGivesTheSameSamples(_ solver: ODESolver) throws {
        #expect(Swift.abs(try Self.error(solver, steps: 10, prediction: .v) - Self.error(solver, steps: 10)) < 1e-4)
    }

    /// With one step every sampler returns x̂₀(x_T) at DDIM's single timestep: DPM-Solver++ equals DDIM bit for bit.
    @Test func oneDPMSolverStepIsOneDDIMStep() throws {
        let unet = try TinyUNetFixture.unet(on: CPUDevice.shared)
        let diffusion = try GaussianDiffusion()
        func run(_ method: SamplingMethod, stop: Int? = nil) throws -> [Float] {
            let options = SamplerOptions(method: method, guidanceScale: 1.5, clipDenoised: false, seed: 4, stopAfter: stop)
            return try diffusion.sample(unet, count: 2, labels: [1, 7], options: options).toArray()
        }
        #expect(try run(.ode(.dpmSolverPlusPlus2M, steps: 1, spacing: .uniform)) == run(.ddim(steps: 1, eta: 0)))
        // The first of several steps has no history, so it is DDIM's step too (up to rounding: other formula).
        let first = try run(.ode(.dpmSolverPlusPlus2M, steps: 5, spacing: .uniform), stop: 1)
        #expect(maxRelativeError(first, try run(.ddim(steps: 5, eta: 0), stop: 1)) < 1e-5)
        // Euler in x/α is DDIM (η = 0) on the whole chain; the second-order solvers are not.
        let ddim = try run(.ddim(steps: 5, eta: 0))
        #expect(maxRelativeError(try run(.ode(.euler, steps: 5, spacing: .uniform)), ddim) < 1e-4)
        #expect(maxRelativeError(try run(.ode(.dpmSolverPlusPlus2M, steps: 5, spacing: .uniform)), ddim) > 1e-3)
    }

    /// Karras σ's (ρ = 7) rounded to trained timesteps, as tools/karras_timesteps.py computes them.
    @Test func karrasGridMatchesTheFormula() throws {
        let schedule = try NoiseSchedule()
        let grid = try schedule.sigmaGrid(steps: 10, spacing: .karras)
        #expect(grid.map(\.t) == [999, 937, 864, 775, 663, 511, 301, 102, 18, 0, nil])
        #expect(grid.last == .data)
        for t in [0, 1, 500, 999] { #expect(Swift.abs(schedule.fractionalTimestep(veSigma: schedule.point(t).veSigma) - Double(t)) < 1e-9) }
        // Halfway in log σ between two trained timesteps is halfway between them.
        let between = Foundation.exp((Foundation.log(schedule.point(10).veSigma) + Foundation.log(schedule.point(11).veSigma)) / 2)
        #expect(Swift.abs(schedule.fractionalTimestep(veSigma: between) - 10.5) < 1e-9)
        // 1000 steps of 1000 timesteps: rounding merges neighbours, each timestep is visited once.
        let dense = try schedule.sigmaGrid(steps: 1000, spacing: .karras).compactMap(\.t)
        #expect(dense.first == 999 && dense.last == 0 && zip(dense, dense.dropFirst()).allSatisfy { $0 > $1 })
        #expect(throws: DiffusionError.self) { try schedule.sigmaGrid(steps: 0, spacing: .karras) }
        #expect(try GaussianDiffusion().modelEvaluations(.ode(.heun, steps: 10)) == 19)
    }

    /// Pixel DiT (with its variance channels) and LDM sample with every solver, guided.
    @Test func ditAndLatentDiffusionSampleWithEverySolver() throws {
        let dit = try DiTDiffusionModel(
            configJSON: #"{"dit": {"input_size": 8, "patch_size": 4, "hidden_size": 32, "depth": 1, "num_heads": 2, "learn_sigma": true}}"#,
            device: CPUDevice.shared, seed: 1)
        let ldm = try LatentDiffusionModel(
            configJSON: #"{"autoencoder": {"preset": "tiny"}, "dit": {"hidden_size": 32, "depth": 1, "num_heads": 2}}"#,
            device: CPUDevice.shared, seed: 1)
        for model in [dit, ldm] as [any ImageDiffusionModel] {
            for solver in ODESolver.allCases {
                var steps: [Int] = []
                let images = try model.sample(
                    count: 2, labels: [1, 2], options: SamplerOptions(method: .ode(solver, steps: 3), guidanceScale: 1)
                ) { steps.append($0.step) }
                #expect(images.shape == [2] + model.imageShape)
                #expect(try images.toArray().allSatisfy { $0.isFinite })
                #expect(steps == [1, 2, 3])
            }
        }
    }
}

@Suite struct ODESamplerDeviceParityTests {
    @Test(arguments: ODESolver.allCases)
    func solversSampleTheSameOnCPUAndOpenCL(_ solver: ODESolver) throws {
        let gpu = try DeviceSelection.resolve(.opencl)
        let options = SamplerOptions(method: .ode(solver, steps: 4), guidanceScale: 1.5, seed: 7)
        let diffusion = try GaussianDiffusion()
        let cpu = try diffusion.sample(TinyUNetFixture.unet(on: CPUDevice.shared), count: 2, labels: [0, 10], options: options)
        let other = try diffusion.sample(TinyUNetFixture.unet(on: gpu), count: 2, labels: [0, 10], options: options)
        let (a, b) = (try cpu.toArray(), try other.toArray())
        #expect(zip(a, b).map { Swift.abs($0 - $1) }.max()! < 1e-3)
    }
}
