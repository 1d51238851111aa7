import Latent
import LatentCompute

/// What `latent bench sample` and `latent demo` run on each backend: DDIM (eta 0) and the first
/// steps of ancestral DDPM, for one batch with one seed.
public struct SamplingPlan: Sendable {
    public var batch: Int
    public var ddimSteps: Int
    /// Ancestral steps timed (at most T); the full chain's rate is extrapolated from them.
    public var ddpmSteps: Int
    public var seed: UInt64
    /// Clamp the predicted x_0 (SamplerOptions.clipDenoised). A random network's x_0 predictions are
    /// huge, and clamping them every step makes its chain chaotic: compare backends on such a model
    /// without clamping.
    public var clipDenoised: Bool
    /// The few-step sampler timed first, over `ddimSteps` steps: DDIM (η = 0) or an ODE solver
    /// (`SamplingMethod.ode`, Karras spacing); nil is DDIM.
    public var solver: ODESolver?

    public init(
        batch: Int = 16, ddimSteps: Int = 50, ddpmSteps: Int = 50, seed: UInt64 = 0, clipDenoised: Bool = true,
        solver: ODESolver? = nil
    ) {
        self.batch = batch
        self.ddimSteps = ddimSteps
        self.ddpmSteps = ddpmSteps
        self.seed = seed
        self.clipDenoised = clipDenoised
        self.solver = solver
    }

    /// The first sampler's method.
    public var fewStepMethod: SamplingMethod {
        solver.map { .ode($0, steps: ddimSteps) } ?? .ddim(steps: ddimSteps, eta: 0)
    }
}

/// One timed sampler run on one device.
public struct SamplingMeasurement: Sendable {
    /// "ddpm", or the few-step sampler's name ("ddim", "dpmpp-2m", "euler", "heun").
    public let sampler: String
    public let backend: String
    public let device: String
    public let batch: Int
    /// U-Net evaluations run and timed, and the chain's full length.
    public let stepsTimed: Int
    public let stepsTotal: Int
    /// Wall time of the timed steps.
    public let ms: Double
    /// The batch after the timed steps ([batch, C, H, W], in [−1, 1] for a finished chain).
    public let images: [Float]
    public let shape: [Int]
    /// The device's buffer high-water mark during the run (model weights included), and the bytes
    /// live when it started (mostly the weights).
    public let peakBytes: Int
    public let baseBytes: Int
    /// How far the process's resident high-water mark rose during the run (Linux only).
    public let peakRSSIncreaseBytes: Int?
    /// Kernel launches, transfers and blocking waits of the timed steps (the CPU backend counts no launches).
    public let activity: DeviceActivity
    /// Wall time and minor page faults of each timed step (`StepClock`).
    public let stepMs: [Double]
    public let stepFaults: [Int]

    /// Launches and blocking waits (host syncs) per sampler step.
    public var launchesPerStep: Double { Double(activity.launches) / Double(max(stepsTimed, 1)) }
    public var hostSyncsPerStep: Double { Double(activity.waits) / Double(max(stepsTimed, 1)) }

    /// The time of the whole chain: measured when every step ran, else scaled up from the steps timed.
    public var fullChainMs: Double { ms * Double(stepsTotal) / Double(stepsTimed) }
    public var extrapolated: Bool { stepsTimed < stepsTotal }
    public var imagesPerSecond: Double { Double(batch) / (fullChainMs / 1000) }
}

public enum SamplingBenchmark {
    /// Runs DDIM and the DDPM prefix of `plan` with `model` on its device, after a one-image, one-step
    /// warm-up (which builds the OpenCL kernels). `progress` gets every sampler iteration.
    public static func run(
        _ model: any ImageDiffusionModel, plan: SamplingPlan,
        progress: ((String, SamplingProgress) -> Void)? = nil
    ) throws -> [SamplingMeasurement] {
        let total = model.diffusion.timesteps
        guard plan.batch >= 1 else { throw DiffusionError.invalidArgument("the batch must hold at least one image") }
        guard (1...total).contains(plan.ddimSteps), plan.ddpmSteps >= 1 else {
            throw DiffusionError.invalidArgument(
                "need 1...\(total) DDIM steps and at least one DDPM step, not \(plan.ddimSteps) and \(plan.ddpmSteps)")
        }
        model.eval()
        _ = try model.sample(
            count: 1, labels: labels(model, count: 1),
            options: SamplerOptions(method: .ddpm(variance: .beta), seed: plan.seed, stopAfter: 1), progress: nil)
        let ddpmSteps = min(plan.ddpmSteps, total)
        return [
            try measure(
                model, plan.fewStepMethod.name, plan: plan, stepsTimed: plan.ddimSteps, stepsTotal: plan.ddimSteps,
                options: SamplerOptions(method: plan.fewStepMethod, clipDenoised: plan.clipDenoised, seed: plan.seed),
                progress: progress),
            try measure(
                model, "ddpm", plan: plan, stepsTimed: ddpmSteps, stepsTotal: total,
                options: SamplerOptions(
                    method: .ddpm(variance: .beta), clipDenoised: plan.clipDenoised, seed: plan.seed,
                    stopAfter: ddpmSteps),
                progress: progress),
        ]
    }

    /// A freshly initialised DDPM (seed 0) whose zero-initialised layers (conv_out, every ResBlock's
    /// conv2, attention's proj_out) get small Philox weights N(0, 0.02²): with them zero the U-Net
    /// outputs 0 and every backend's images agree trivially. The same weights on every backend.
    public static func randomModel(configJSON: String, device: any Device) throws -> DDPMModel {
        let model = try DDPMModel(configJSON: configJSON, device: device, seed: 0)
        let parameters = Set(model.namedParameters().map(\.0))
        var values: [String: (shape: [Int], values: [Float])] = [:]
        for (index, (name, tensor)) in model.stateDict().enumerated() {
            var v = try tensor.toArray()
            if parameters.contains(name), v.allSatisfy({ $0 == 0 }) {
                v = try Tensor.randomNormal(tensor.shape, seed: 0xBE7C4, offset: UInt64(index) << 32, std: 0.02, on: device).toArray()
            }
            values[name] = (tensor.shape, v)
        }
        try model.load(values)
        return model
    }

    /// Class labels cycling through the classes for a class-conditional model (as `latent sample` does).
    public static func labels(_ model: any ImageDiffusionModel, count: Int) -> [Int32]? {
        model.numClasses.map { k in (0..<count).map { Int32($0 % k) } }
    }

    static func measure(
        _ model: any ImageDiffusionModel, _ sampler: String, plan: SamplingPlan, stepsTimed: Int, stepsTotal: Int,
        options: SamplerOptions, progress: ((String, SamplingProgress) -> Void)?
    ) throws -> SamplingMeasurement {
        let device = model.denoiser.device
        let labels = labels(model, count: plan.batch)
        try device.synchronize()
        device.resetPeakMemory()
        let base = device.memoryUsage.liveBytes
        let before = device.activity
        var images: Tensor?
        var clock = StepClock()
        let (ms, rss) = try ProcessMemory.peakIncrease {
            try BenchmarkRunner.time(on: device) {
                clock.stamp()
                images = try model.sample(count: plan.batch, labels: labels, options: options) {
                    clock.stamp()
                    progress?(sampler, $0)
                }
            }
        }
        let peak = device.memoryUsage.peakBytes
        // The timing's own waits (a synchronize before and after) are not the sampler's.
        var activity = device.activity.since(before)
        activity.waits = max(0, activity.waits - 2)
        guard let images else { throw DiffusionError.invalidArgument("the sampler returned nothing") }
        return SamplingMeasurement(
            sampler: sampler, backend: device.backend.rawValue, device: device.name, batch: plan.batch,
            stepsTimed: stepsTimed, stepsTotal: stepsTotal, ms: ms, images: try images.toArray(),
            shape: images.shape, peakBytes: peak, baseBytes: base, peakRSSIncreaseBytes: rss,
            activity: activity, stepMs: clock.stepMs, stepFaults: clock.stepFaults)
    }

    /// One denoiser forward of the model at the batch size (eval mode, no gradients), as op
    /// `unet_forward` (DDPM) or `dit_forward` / `ldm_denoiser_forward`.
    public static func unetForward(_ model: any ImageDiffusionModel, batch: Int, shape: String) throws -> BenchmarkResult {
        let denoiser = model.denoiser
        let device = denoiser.device
        let x = try Tensor.randomNormal([batch] + denoiser.inputShape, seed: 1, on: device)
        let t = (0..<batch).map { $0 * 997 % model.diffusion.timesteps }
        let labels = try labels(model, count: batch).map { try Tensor(indices: $0, shape: [batch], on: device) }
        model.eval()
        let (median, best) = try BenchmarkRunner.measure(on: device, repetitions: 5, budgetSeconds: 2) {
            _ = try withoutGrad { try denoiser(x, timesteps: t, labels: labels, nullMask: nil, dropoutNoise: nil) }
        }
        let op = model is DDPMModel ? "unet_forward" : type(of: model).modelType == "dit" ? "dit_forward" : "ldm_denoiser_forward"
        return BenchmarkResult(
            op: op, backend: device.backend.rawValue, device: device.name, shape: shape,
            ms: median, minMs: best, gflops: nil, gbps: nil, itemsPerSecond: Double(batch) / (median / 1e3))
    }

    /// The largest |a[i] − b[i]| (the two backends' images agree to this); NaN when either has a NaN there.
    public static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        var largest: Float = 0
        for (x, y) in zip(a, b) {
            let d = Swift.abs(x - y)
            if d.isNaN { return .nan }
            largest = Swift.max(largest, d)
        }
        return largest
    }
}
